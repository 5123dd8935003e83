"""The fields= selector: a parser that never crashes and a selection that keeps exactly the keys."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tokenward.tracker.fields import FieldsSyntaxError, parse_fields, select_fields

names = st.from_regex(r"[A-Za-z_$][A-Za-z0-9_]{0,8}", fullmatch=True)
selections = st.recursive(
    st.dictionaries(names, st.none(), min_size=1, max_size=4),
    lambda children: st.dictionaries(names, st.none() | children, min_size=1, max_size=4),
    max_leaves=12,
)


def render(selection) -> str:
    return ",".join(
        name if sub is None else f"{name}({render(sub)})" for name, sub in selection.items()
    )


def test_the_youtrack_seed_selector():
    assert parse_fields("id,name,shortName,createdBy(login,name,id),leader(login,name,id)") == {
        "id": None,
        "name": None,
        "shortName": None,
        "createdBy": {"login": None, "name": None, "id": None},
        "leader": {"login": None, "name": None, "id": None},
    }


def test_selection_keeps_exactly_the_named_keys_in_objects_and_lists():
    data = [{"id": 1, "name": "A", "leader": {"login": "l", "id": 2, "email": "e"}, "x": 0}]

    assert select_fields(data, parse_fields("id,leader(login,id),missing")) == [
        {"id": 1, "leader": {"login": "l", "id": 2}}
    ]


@pytest.mark.parametrize(
    "spec", ["", ",", "id,", "(id)", "a(b", "a)b", "a()", "a b", "a;b", "a((b))", "x" * 3000]
)
def test_malformed_selectors_raise_a_syntax_error(spec):
    with pytest.raises(FieldsSyntaxError):
        parse_fields(spec)


def test_deep_nesting_is_refused():
    with pytest.raises(FieldsSyntaxError, match="too deeply"):
        parse_fields("a(" * 20 + "b" + ")" * 20)


@given(selections)
def test_rendered_selections_parse_back_to_themselves(selection):
    assert parse_fields(render(selection)) == selection


@given(st.text(max_size=200))
def test_any_text_parses_or_raises_a_syntax_error_only(spec):
    with contextlib.suppress(FieldsSyntaxError):
        parse_fields(spec)
