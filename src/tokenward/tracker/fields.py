"""YouTrack's ``fields=`` selector: ``id,name,leader(login,name)`` keeps exactly those keys."""

from __future__ import annotations

import re
from typing import Any

Selection = dict[str, "Selection | None"]

_TOKEN = re.compile(r"\s*(?:([A-Za-z0-9_$]+)|([(),]))")
MAX_LENGTH = 2000


class FieldsSyntaxError(ValueError):
    """The selector is not a comma-separated list of names with optional (nested) lists."""


def parse_fields(spec: str) -> Selection:
    """Return the selection tree of a ``fields=`` value. Raise ``FieldsSyntaxError``."""
    if len(spec) > MAX_LENGTH:
        raise FieldsSyntaxError("The fields selector is too long.")
    tokens = _tokenize(spec)
    selection, pos = _parse_list(tokens, 0, depth=0)
    if pos != len(tokens):
        raise FieldsSyntaxError("The fields selector has an unbalanced ')'.")
    return selection


def select_fields(data: Any, selection: Selection) -> Any:
    """Return ``data`` with each object reduced to the selected keys, lists item by item."""
    if isinstance(data, list):
        return [select_fields(item, selection) for item in data]
    if not isinstance(data, dict):
        return data
    return {
        key: data[key] if sub is None else select_fields(data[key], sub)
        for key, sub in selection.items()
        if key in data
    }


def _tokenize(spec: str) -> list[str]:
    tokens, pos = [], 0
    spec = spec.strip()
    while pos < len(spec):
        match = _TOKEN.match(spec, pos)
        if not match:
            raise FieldsSyntaxError(f"The fields selector has an unexpected character at {pos}.")
        tokens.append(match.group(1) or match.group(2))
        pos = match.end()
    if not tokens:
        raise FieldsSyntaxError("The fields selector is empty.")
    return tokens


def _parse_list(tokens: list[str], pos: int, depth: int) -> tuple[Selection, int]:
    if depth > 8:
        raise FieldsSyntaxError("The fields selector is nested too deeply.")
    selection: Selection = {}
    while True:
        if pos >= len(tokens) or tokens[pos] in "(),":
            raise FieldsSyntaxError("The fields selector expects a field name.")
        name, pos = tokens[pos], pos + 1
        sub = None
        if pos < len(tokens) and tokens[pos] == "(":
            sub, pos = _parse_list(tokens, pos + 1, depth + 1)
            if pos >= len(tokens) or tokens[pos] != ")":
                raise FieldsSyntaxError("The fields selector has an unclosed '('.")
            pos += 1
        selection[name] = sub
        if pos < len(tokens) and tokens[pos] == ",":
            pos += 1
            continue
        return selection, pos
