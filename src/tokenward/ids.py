"""Row ids as clients write them: 1 to 18 ASCII digits, the bound every id path already has.

Every id is a 64-bit signed column (``BigAutoField``). Eighteen digits always fit one; a
longer number names no row, and SQLite cannot even bind it (``OverflowError``, a 500), where
Django's own overflow guard does not reach (lookups through a foreign key).
"""

from __future__ import annotations

from typing import Any

MAX_ID_DIGITS = 18
MAX_ID = 10**MAX_ID_DIGITS - 1
#: For URL patterns and DRF's ``lookup_value_regex``: anything else is a 404.
ID_PATTERN = f"[0-9]{{1,{MAX_ID_DIGITS}}}"
#: The OpenAPI schema of an id that ``parse_id`` accepts.
ID_SCHEMA: dict[str, Any] = {"type": "integer", "minimum": 0, "maximum": MAX_ID}


def parse_id(text: str) -> int | None:
    """Return the id ``text`` spells, or None if it is not 1 to 18 ASCII digits.

    None means no row can have this id: callers answer as for one that is not found, or
    refuse a filter. ASCII only: ``"²".isdigit()`` holds, but ``int("²")`` raises.
    """
    if len(text) <= MAX_ID_DIGITS and text.isascii() and text.isdigit():
        return int(text)
    return None
