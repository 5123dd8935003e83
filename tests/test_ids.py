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


def _url_patterns(resolver=None, prefix=""):
    """Yield the regex text of every URL pattern, with its include's prefix."""
    from django.urls import URLResolver, get_resolver

    for entry in (resolver or get_resolver()).url_patterns:
        text = prefix + entry.pattern.regex.pattern.lstrip("^")
        if isinstance(entry, URLResolver):
            yield from _url_patterns(entry, text)
        else:
            yield text


def test_no_url_pattern_takes_a_digit_python_would_read_as_unicode():
    patterns = list(_url_patterns())

    assert len(patterns) > 50
    # \d matches "\u0661" in a str pattern, and DRF's default lookup "[^/.]+" matches anything.
    assert [p for p in patterns if r"\d" in p or "(?P<pk>[^/.]+)" in p] == []


def _id_paths() -> list[tuple[str, str]]:
    from drf_spectacular.generators import SchemaGenerator

    document = SchemaGenerator().get_schema(request=None, public=True)
    return [
        (method.upper(), path)
        for path, operations in document["paths"].items()
        for method in operations
        if re.search(r"\{\w*id\}", path)
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "path"), _id_paths())
@pytest.mark.parametrize(
    "zero", ["\u0660", "\u0966", "\uff10"], ids=["arabic", "devanagari", "wide"]
)
def test_an_id_in_non_ascii_digits_is_a_404_on_every_id_path(method, path, zero, admin):
    from django.test import Client

    from tokenward.audit.services import ClientInfo
    from tokenward.tokens.personal import issue_personal_token

    token = issue_personal_token(admin, name="t", client=ClientInfo(method="test")).plaintext
    # The administrator's own id in another script: int() reads it as theirs.
    digits = "".join(chr(ord(zero) + int(d)) for d in str(admin.pk))
    url = re.sub(r"\{\w*id\}", digits, path)

    response = Client(raise_request_exception=False).generic(
        method, url, "{}", content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
    )

    assert response.status_code == 404, (url, response.content)
    assert response.json()["code"] == "not_found"
