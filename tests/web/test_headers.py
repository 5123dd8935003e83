"""Constant reply headers: checked by Django once, then set in one step on each reply."""

from __future__ import annotations

import pytest
from django.http import BadHeaderError, HttpResponse, JsonResponse

from tokenward.web.headers import ConstantHeaders

PRIVATE = ConstantHeaders({"Cache-Control": "private, no-store", "Referrer-Policy": "no-referrer"})
LINKED = ConstantHeaders(
    {"Deprecation": "@1704067200", "Link": '</next>; rel="deprecation"'}, appended_to=("Link",)
)


def test_headers_are_set_as_django_sets_them():
    response = HttpResponse()

    PRIVATE.apply(response)

    assert response.headers["cache-control"] == "private, no-store"
    assert response["Referrer-Policy"] == "no-referrer"
    assert b"Cache-Control: private, no-store\r\n" in response.serialize_headers()
    assert ("Referrer-Policy", "no-referrer") in response.items()


def test_a_header_of_the_same_name_is_replaced_whatever_its_case():
    response = JsonResponse({})
    response.headers["cache-control"] = "max-age=60"

    PRIVATE.apply(response)

    assert [v for k, v in response.items() if k.lower() == "cache-control"] == ["private, no-store"]


def test_a_link_the_view_set_is_kept_and_ours_follows():
    response = HttpResponse()
    response.headers["Link"] = '</page/2>; rel="next"'

    LINKED.apply(response)

    assert response.headers["Link"] == '</page/2>; rel="next", </next>; rel="deprecation"'
    assert response.headers["Deprecation"] == "@1704067200"


def test_without_a_link_ours_stands_alone():
    response = HttpResponse()

    LINKED.apply(response)

    assert response.headers["Link"] == '</next>; rel="deprecation"'


def test_a_value_django_would_refuse_is_refused_when_defined():
    with pytest.raises(BadHeaderError):
        ConstantHeaders({"X-Test": "one\r\nSet-Cookie: two"})


def test_one_definition_serves_many_replies_without_sharing_them():
    first, second = HttpResponse(), HttpResponse()
    PRIVATE.apply(first)
    first.headers["Cache-Control"] = "no-cache"

    PRIVATE.apply(second)

    assert second.headers["Cache-Control"] == "private, no-store"
