"""Accounts whose logins look alike: the one a new login clashes with, and the groups kept
from before ``User.login_key`` existed (migration 0004), which nothing deletes."""

from __future__ import annotations

from tokenward.accounts.logins import login_key
from tokenward.accounts.models import User


def clashing_account(login: str, *, exclude: User | None = None) -> User | None:
    """Return an account other than ``exclude`` whose login looks like ``login``, or None.

    The account holding the key answers; accounts kept without one (old clashes) are few,
    and are compared one by one so that a group whose keyed account was deleted still counts.
    """
    key = login_key(login)
    others = User.objects.exclude(pk=exclude.pk) if exclude is not None else User.objects.all()
    found = others.filter(login_key=key).first()
    if found is not None:
        return found
    for other in others.filter(login_key__isnull=True).order_by("id"):
        if login_key(other.login) == key:
            return other
    return None


def lookalike_groups() -> list[tuple[str, ...]]:
    """Return the logins of each group of accounts that look alike, oldest account first.

    Every account saved since the key exists has one, so each group holds at least one
    account without a key: those few rows are where the search starts.
    """
    groups: dict[str, list[str]] = {}
    strays = User.objects.filter(login_key__isnull=True).order_by("id")
    for login in strays.values_list("login", flat=True):
        groups.setdefault(login_key(login), []).append(login)
    keyed = User.objects.filter(login_key__in=list(groups)).values_list("login_key", "login")
    for key, login in keyed:
        groups[key].insert(0, login)
    return sorted(tuple(group) for group in groups.values() if len(group) > 1)
