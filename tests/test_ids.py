"""Ids as clients write them: at most 18 ASCII digits, never past a 64-bit column."""

from __future__ import annotations

import re

import pytest

from tokenward.ids import ID_PATTERN, ID_SCHEMA, MAX_ID, parse_id


@pytest.mark.parametrize(
    ("text", "expected"),
    [("0", 0), ("42", 42), ("007", 7), ("999999999999999999", 999999999999999999)],
)
def test_up_to_18_ascii_digits_are_an_id(text, expected):
    assert parse_id(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "x",
        "-1",
        "+1",
        " 1",
        "1.0",
        "1000000000000000000",  # 19 digits
        "9223372036854775808",  # 2**63: past a 64-bit signed column
        "99999999999999999999",
        "1" + "0" * 30,
        "²",  # isdigit() holds, int() raises
        "١٢",  # Arabic-Indic digits: int() would read 12
    ],
)
def test_anything_else_is_no_id(text):
    assert parse_id(text) is None


def test_the_pattern_and_the_schema_say_what_parse_id_takes():
    assert re.fullmatch(ID_PATTERN, str(MAX_ID)) and not re.fullmatch(ID_PATTERN, str(MAX_ID + 1))
    assert ID_SCHEMA == {"type": "integer", "minimum": 0, "maximum": MAX_ID}
    assert MAX_ID < 2**63 - 1
