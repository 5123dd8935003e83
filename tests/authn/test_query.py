"""Query-string credentials are read once per request, with the values Django's parser gives."""

from __future__ import annotations

import pytest
from django.core.exceptions import TooManyFieldsSent
from django.http import QueryDict
from django.test import RequestFactory

from tokenward.authn.query import query_credentials

NAMES = ("access_token", "token")


def request_with(query: str):
    return RequestFactory().get("/api/users/me", QUERY_STRING=query)


@pytest.mark.parametrize(
    "query",
    [
        "token=MTpFNDU5MzlCNzE4QTU1RjlGMTI0QzRBQjgzMTYxQzRDNg==",
        "token=MTp%2BRTQ1%2F%3D%3D",
        "access_token=twp_abc+def",
        "token=a=b",
        "token=",
        "token",
        "token=%ZZ%2",
        "token=a;b",
        "token=caf%C3%A9%FF",
    ],
    ids=[
        "plain",
        "escaped",
        "plus",
        "equals-inside",
        "blank",
        "no-equals",
        "bad-escape",
        "semicolon",
        "escaped-utf8-and-invalid",
    ],
)
def test_a_lone_credential_has_the_value_django_gives_and_get_is_left_empty(query):
    request = request_with(query)

    found = query_credentials(request)

    expected = QueryDict(query)
    assert found == {name: expected.getlist(name) for name in NAMES if name in expected}
    assert list(request.GET.lists()) == []


@pytest.mark.parametrize(
    "query",
    [
        "token=one&take=10",
        "access_token=one&access_token=two",
        "%74oken=escaped-name",
        "access%5Ftoken=escaped-name",
        "token=caf%C3%A9&x=é",
        "q=token",
        "take=10",
    ],
    ids=[
        "with-others",
        "twice",
        "escaped-t",
        "escaped-underscore",
        "non-ascii",
        "not-a-name",
        "none",
    ],
)
def test_any_other_query_string_is_read_through_django_and_get_keeps_all_of_it(query):
    request = request_with(query)

    found = query_credentials(request)

    expected = QueryDict(query.encode("utf-8"))
    assert found == {name: expected.getlist(name) for name in NAMES if name in expected}
    assert dict(request.GET.lists()) == dict(expected.lists())


def test_no_query_string_names_nothing_and_reads_nothing():
    request = request_with("")

    assert query_credentials(request) == {}
    assert "GET" not in request.__dict__, "the QueryDict is left for whoever needs it"


def test_a_request_is_read_once():
    request = request_with("token=abc")

    assert query_credentials(request) is query_credentials(request)


def test_a_lone_credential_over_djangos_field_limit_is_refused_as_django_refuses(settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 0

    with pytest.raises(TooManyFieldsSent):
        query_credentials(request_with("token=abc"))


def test_the_credential_is_not_left_in_get_for_a_view_to_echo(api, db):
    response = api.get("/api/users/me?token=MTpub3Q%3D")

    assert response.status_code == 401
    assert response.wsgi_request.GET.dict() == {}
    assert response.headers["Cache-Control"] == "private, no-store"
