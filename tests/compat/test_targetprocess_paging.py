"""Targetprocess paging (``take``, ``skip``, Next/Prev links) and format negotiation."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from tests.compat.conftest import JSON, xml_of
from tokenward.compat.paging import TakeSkipPagination

pytestmark = pytest.mark.django_db

STORIES = "/api/v1/UserStories/"


@pytest.fixture
def five_stories(make_story, public_project) -> list[int]:
    return [make_story(public_project).id for _ in range(5)]


def query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def test_take_and_skip_select_a_page_with_links_both_ways(as_basic, member, five_stories):
    response = as_basic(member).get(STORIES, {"take": 2, "skip": 2, "format": "json"})

    body = response.json()
    assert [item["Id"] for item in body["Items"]] == five_stories[2:4]
    assert list(body) == ["Prev", "Next", "Items"]
    assert body["Next"].startswith("http://testserver/api/v1/UserStories/?")
    assert query(body["Next"]) == {"take": ["2"], "skip": ["4"], "format": ["json"]}
    assert query(body["Prev"]) == {"take": ["2"], "skip": ["0"], "format": ["json"]}


def test_first_page_has_no_prev_and_last_page_has_no_next(as_basic, member, five_stories):
    client = as_basic(member)

    first = client.get(STORIES, {"take": 2}, **JSON).json()
    last = client.get(STORIES, {"take": 2, "skip": 4}, **JSON).json()

    assert "Prev" not in first and "Next" in first
    assert "Next" not in last and "Prev" in last
    assert [item["Id"] for item in last["Items"]] == five_stories[4:]


def test_following_next_links_visits_every_story_once(as_basic, member, five_stories):
    client, seen = as_basic(member), []
    url = f"{STORIES}?take=2&format=json"

    while url:
        body = client.get(url).json()
        seen += [item["Id"] for item in body["Items"]]
        url = body.get("Next")

    assert seen == five_stories


def test_default_page_is_25_stories(as_basic, admin, make_story, public_project):
    for _ in range(26):
        make_story(public_project)

    body = as_basic(admin).get(STORIES, **JSON).json()

    assert len(body["Items"]) == 25
    assert query(body["Next"])["skip"] == ["25"]


def test_take_above_1000_is_capped_at_1000(as_basic, member, five_stories):
    body = as_basic(member).get(STORIES, {"take": 5000, "skip": 1}, **JSON).json()

    assert len(body["Items"]) == 4
    assert query(body["Prev"]) == {"take": ["1000"], "skip": ["0"]}


def test_xml_collection_carries_prev_and_next_as_attributes(as_basic, member, five_stories):
    root = xml_of(as_basic(member).get(STORIES, {"take": 1, "skip": 1}))

    assert root.tag == "UserStories"
    assert query(root.get("Next")) == {"take": ["1"], "skip": ["2"]}
    assert query(root.get("Prev")) == {"take": ["1"], "skip": ["0"]}
    assert [child.get("Id") for child in root] == [str(five_stories[1])]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("take", "-1"),
        ("take", "0"),
        ("take", "ten"),
        ("take", ""),
        ("skip", "-5"),
        ("skip", "1.5"),
        ("skip", "99999999999999999999"),
        ("skip", "\u0663"),  # an Arabic-Indic digit: int() takes it, we do not
    ],
)
def test_bad_take_or_skip_is_400_with_the_standard_error_body(as_basic, member, name, value):
    response = as_basic(member).get(STORIES, {name: value}, **JSON)

    assert response.status_code == 400
    assert response.json()["detail"] == "The request is invalid; see errors."
    assert response.json()["code"] == "invalid"
    assert list(response.json()["errors"]) == [name]


def test_bad_take_in_xml_is_a_well_formed_error(as_basic, member):
    response = as_basic(member).get(STORIES, {"take": "<&>"})

    assert response.status_code == 400
    root = xml_of(response)
    assert (root.tag, root.findtext("code")) == ("Error", "invalid")
    assert root.find("errors/take/Item") is not None


def test_links_keep_other_parameters_but_never_query_string_credentials():
    request = APIRequestFactory().get(
        STORIES, {"take": "1", "format": "json", "token": "t", "access_token": "a", "x": "y"}
    )
    paginator = TakeSkipPagination()

    page = paginator.paginate_queryset([1, 2, 3], Request(request))
    body = paginator.get_paginated_response(page).data

    assert query(body["Next"]) == {"take": ["1"], "skip": ["1"], "format": ["json"], "x": ["y"]}


@pytest.mark.parametrize(
    ("params", "headers", "media_type"),
    [
        ({}, {}, "application/xml"),
        ({"format": "json"}, {}, "application/json"),
        ({"format": "xml"}, {}, "application/xml"),
        ({}, {"HTTP_ACCEPT": "application/json"}, "application/json"),
        ({}, {"HTTP_ACCEPT": "application/xml"}, "application/xml"),
        ({}, {"HTTP_ACCEPT": "text/html,application/xml;q=0.9,*/*;q=0.8"}, "application/xml"),
    ],
)
def test_xml_is_the_default_and_json_is_asked_for_by_format_or_accept(
    as_basic, member, five_stories, params, headers, media_type
):
    response = as_basic(member).get(STORIES, params, **headers)

    assert response.status_code == 200
    assert response["Content-Type"].split(";")[0] == media_type


def test_an_unknown_format_is_not_a_server_error(as_basic, member):
    response = as_basic(member).get(STORIES, {"format": "csv"})

    assert response.status_code == 404
