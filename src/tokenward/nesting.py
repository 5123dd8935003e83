"""How deep a request body may nest: one limit for every parser, checked before parsing.

Python's JSON decoder and the XML converters recurse once per level, so a body nested a
thousand levels deep raised ``RecursionError`` (a 500 and a logged traceback) before any
authentication. No body this server takes nests beyond a few levels.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any, Protocol

MAX_DEPTH = 32
TOO_DEEP = f"The request body is nested more than {MAX_DEPTH} levels deep."

# A JSON string (skipped whole: brackets inside it do not nest) or one bracket.
_JSON_TOKEN = re.compile(rb'"(?:[^"\\]+|\\.)*"|[\[\]{}]', re.DOTALL)


class _Node(Protocol):
    """An XML element, as far as depth goes: its children."""

    def __iter__(self) -> Iterator[_Node]: ...


class NestingError(ValueError):
    """A body nests deeper than ``MAX_DEPTH``; the message says so in a sentence."""

    def __init__(self) -> None:
        super().__init__(TOO_DEEP)


def check_json_depth(body: str | bytes) -> None:
    """Raise ``NestingError`` if the JSON text ``body`` nests deeper than ``MAX_DEPTH``.

    Reads the text as the decoder would up to its first error, so the decoder never goes
    deeper than this counted. Fewer brackets than the limit cannot nest past it: the common
    case costs two ``bytes.count``.
    """
    raw = body.encode("utf-8", "surrogatepass") if isinstance(body, str) else body
    if raw.count(b"[") + raw.count(b"{") <= MAX_DEPTH:
        return
    depth = 0
    for match in _JSON_TOKEN.finditer(raw):
        token = match.group()
        if token in (b"[", b"{"):
            depth += 1
            if depth > MAX_DEPTH:
                raise NestingError()
        elif token in (b"]", b"}"):
            depth -= 1


def loads_json(body: str | bytes) -> Any:
    """Return ``json.loads(body)``. Raise ``NestingError`` (a ``ValueError``) if too deep."""
    check_json_depth(body)
    return json.loads(body)


def check_xml_depth(root: _Node) -> None:
    """Raise ``NestingError`` if the element tree under ``root`` nests deeper than the limit.

    Walks without recursion; the parser that built the tree does not recurse either.
    """
    level: list[tuple[_Node, int]] = [(root, 1)]
    while level:
        element, depth = level.pop()
        if depth > MAX_DEPTH:
            raise NestingError()
        level.extend((child, depth + 1) for child in element)
