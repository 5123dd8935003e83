"""Scopes that narrow a token: ``read`` allows safe methods, ``write`` allows every method."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class Scope(StrEnum):
    READ = "read"
    WRITE = "write"


ALL_SCOPES: tuple[str, ...] = tuple(Scope)
# What each scope also grants: write includes read.
_IMPLIES = {Scope.READ: {Scope.READ}, Scope.WRITE: {Scope.READ, Scope.WRITE}}


class ScopeError(ValueError):
    """A scope list names something that is not a scope."""


def normalize_scopes(scopes: Iterable[str]) -> tuple[str, ...]:
    """Return ``scopes`` deduplicated in canonical order. Raise ``ScopeError`` if one is unknown."""
    given = set(scopes)
    unknown = given - set(ALL_SCOPES)
    if unknown:
        raise ScopeError(
            f"Unknown scope {sorted(unknown)[0]!r}; the scopes are {', '.join(ALL_SCOPES)}."
        )
    if not given:
        raise ScopeError(f"Name at least one scope: {', '.join(ALL_SCOPES)}.")
    return tuple(s for s in ALL_SCOPES if s in given)


def grants(scopes: Iterable[str], needed: Scope) -> bool:
    """Return True if a token holding ``scopes`` may do what ``needed`` covers."""
    return any(needed in _IMPLIES[Scope(s)] for s in scopes if s in _IMPLIES)
