"""The audit log API: administrators only, newest first, filtered, paged, and free of secrets."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.audit.events import COLUMNS, at, march_events, record_at
from tokenward.audit.models import Action, AuditEvent
from tokenward.audit.services import ClientInfo
from tokenward.credentials import format as token_format
from tokenward.credentials.format import TokenType
from tokenward.tokens.personal import revoke_personal_token

pytestmark = pytest.mark.django_db

URL = "/api/audit-events"
INVALID = {"detail": "The request is invalid; see errors.", "code": "invalid"}


@pytest.fixture
def events(admin, member, outsider) -> dict[str, AuditEvent]:
    """Six events on six days, oldest first: issues, failures and a revocation."""
    events = march_events(admin, member, outsider)
    events["session"] = record_at(
        at(6),
        Action.ISSUED,
        credential_kind="session",
        credential_id=3,
        actor=admin,
        subject=admin,
        client=ClientInfo(method="web", address="198.51.100.1", user_agent="Firefox"),
    )
    return events


def ids(response) -> list[int]:
    return [event["id"] for event in response.json()["results"]]


def newest_first(events: dict[str, AuditEvent], *names: str) -> list[int]:
    return sorted((events[name].pk for name in names), reverse=True)


def test_administrator_reads_every_event_newest_first(as_basic, admin, events):
    response = as_basic(admin).get(URL)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 6
    assert body["next"] is None
    assert body["previous"] is None
    assert ids(response) == newest_first(events, *events)
    assert body["results"][3] == {
        "id": events["revoked"].pk,
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
    assert body["results"][1] == {
        "id": events["unknown"].pk,
        "at": "2026-03-05T10:00:00Z",
        "action": "failed",
        "actor": None,
        "subject": None,
        "credential_kind": "personal_token",
        "credential_id": "",
        "method": "token",
        "reason": "invalid_token",
        "address": "2001:db8::1",
        "user_agent": "",
    }


def test_path_with_a_trailing_slash_is_the_same_list(as_basic, admin, events):
    client = as_basic(admin)

    assert ids(client.get(URL + "/")) == ids(client.get(URL))


def test_same_time_events_are_ordered_by_id_descending(as_basic, admin):
    first = record_at(at(1), Action.ISSUED)
    second = record_at(at(1), Action.REVOKED)

    assert ids(as_basic(admin).get(URL)) == [second.pk, first.pk]


def test_a_deleted_users_events_stay_with_null_logins(as_basic, admin, make_user):
    gone = make_user("leaver")
    event = record_at(at(1), Action.ISSUED, actor=gone, subject=gone)
    gone.delete()

    result = as_basic(admin).get(URL).json()["results"]

    assert [(e["id"], e["actor"], e["subject"]) for e in result] == [(event.pk, None, None)]


def test_member_is_refused(as_basic, member, events):
    response = as_basic(member).get(URL)

    assert response.status_code == 403
    assert response.json() == {
        "detail": "Only administrators read the audit log.",
        "code": "permission_denied",
    }


def test_member_with_a_token_is_refused_too(as_token, make_token, member, events):
    response = as_token(make_token(member).plaintext).get(URL)

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_administrator_with_a_read_token_reads(as_token, make_token, admin, events):
    response = as_token(make_token(admin, scopes=["read"]).plaintext).get(URL)

    assert response.status_code == 200
    assert response.json()["count"] == 7  # the six, and the token's issue


def test_anonymous_is_asked_to_authenticate(api, events):
    response = api.get(URL)

    assert response.status_code == 401
    assert response.json() == {
        "detail": "Authentication credentials were not provided.",
        "code": "not_authenticated",
    }
    assert response.headers["WWW-Authenticate"].startswith('Basic realm="tokenward"')


@pytest.mark.parametrize(
    ("login", "expected"),
    [
        ("mwhite", ["issued", "failed", "revoked"]),  # subject of all three
        ("boss", ["revoked", "session"]),  # actor of one, subject of the other
        ("stranger", ["cli"]),
    ],
)
def test_user_filter_matches_actor_or_subject(as_basic, admin, events, login, expected):
    response = as_basic(admin).get(URL, {"user": login})

    assert response.status_code == 200
    assert ids(response) == newest_first(events, *expected)


def test_user_filter_with_an_unknown_login_is_a_validation_error(as_basic, admin, events):
    response = as_basic(admin).get(URL, {"user": "nobody"})

    assert response.status_code == 400
    assert response.json() == {**INVALID, "errors": {"user": ["There is no user with this login."]}}


@pytest.mark.parametrize(
    ("action", "expected"),
    [
        ("issued", ["issued", "cli", "session"]),
        ("revoked", ["revoked"]),
        ("failed", ["failed", "unknown"]),
    ],
)
def test_action_filter(as_basic, admin, events, action, expected):
    response = as_basic(admin).get(URL, {"action": action})

    assert response.status_code == 200
    assert ids(response) == newest_first(events, *expected)


@pytest.mark.parametrize(
    ("method", "expected"),
    [("web", ["revoked", "session"]), ("bearer", ["failed"]), ("basic", [])],
)
def test_method_filter(as_basic, admin, events, method, expected):
    response = as_basic(admin).get(URL, {"method": method})

    assert response.status_code == 200
    assert ids(response) == newest_first(events, *expected)


def test_credential_kind_filter(as_basic, admin, events):
    client = as_basic(admin)

    assert ids(client.get(URL, {"credential_kind": "session"})) == [events["session"].pk]
    assert len(ids(client.get(URL, {"credential_kind": "personal_token"}))) == 5


def test_since_is_inclusive_and_until_exclusive(as_basic, admin, events):
    response = as_basic(admin).get(
        URL, {"since": "2026-03-02T10:00:00Z", "until": "2026-03-04T10:00:00+00:00"}
    )

    assert response.status_code == 200
    assert ids(response) == newest_first(events, "failed", "revoked")


def test_since_and_until_honour_offsets_and_naive_times_are_utc(as_basic, admin, events):
    client = as_basic(admin)

    # 12:00 at +02:00 is 10:00 UTC: the fifth day's event is included.
    assert ids(client.get(URL, {"since": "2026-03-05T12:00:00+02:00"})) == newest_first(
        events, "unknown", "session"
    )
    assert ids(client.get(URL, {"until": "2026-03-02T10:00:00"})) == [events["issued"].pk]


def test_filters_combine(as_basic, admin, events):
    response = as_basic(admin).get(
        URL, {"user": "mwhite", "action": "failed", "since": "2026-03-01T12:00:00Z"}
    )

    assert ids(response) == [events["failed"].pk]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"since": "yesterday"}, "since"),
        ({"until": "2026-13-45T10:00:00Z"}, "until"),
        ({"since": "9999-12-31T23:59:59-01:00"}, "since"),  # beyond datetime's range in UTC
        ({"since": "2026-03-02T10:00:00 00:00"}, "since"),  # an unencoded "+"
        ({"action": "deleted"}, "action"),
        ({"method": "x" * 41}, "method"),
        ({"since": "2026-03-04T00:00:00Z", "until": "2026-03-02T00:00:00Z"}, "until"),
    ],
)
def test_a_bad_filter_is_a_validation_error_never_a_server_error(
    as_basic, admin, events, params, field
):
    response = as_basic(admin).get(URL, params)

    assert response.status_code == 400
    body = response.json()
    assert {key: body[key] for key in INVALID} == INVALID
    assert list(body["errors"]) == [field]


def test_pages_with_limit_and_offset(as_basic, admin, events):
    response = as_basic(admin).get(URL, {"limit": 2, "offset": 2})

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 6
    assert ids(response) == newest_first(events, "revoked", "cli")
    assert body["next"] == "http://testserver/api/audit-events?limit=2&offset=4"
    assert body["previous"] == "http://testserver/api/audit-events?limit=2"


def test_pages_keep_the_filters_in_their_links(as_basic, admin, events):
    body = as_basic(admin).get(URL, {"action": "issued", "limit": 1}).json()

    assert body["count"] == 3
    assert body["next"] == "http://testserver/api/audit-events?action=issued&limit=1&offset=1"


def test_default_page_is_fifty_and_the_largest_five_hundred(as_basic, admin):
    AuditEvent.objects.bulk_create(
        AuditEvent(at=at(1), action=Action.FAILED, credential_kind="personal_token", method="api")
        for _ in range(501)
    )
    client = as_basic(admin)

    assert len(ids(client.get(URL))) == 50
    assert len(ids(client.get(URL, {"limit": 100_000}))) == 500
    assert client.get(URL, {"limit": "many", "offset": "-3"}).status_code == 200


def test_query_count_does_not_grow_with_the_page(as_basic, admin, events):
    client = as_basic(admin)
    client.get(URL, {"limit": 1})  # the first Basic request also reads the user

    with CaptureQueriesContext(connection) as one:
        client.get(URL, {"limit": 1})
    with CaptureQueriesContext(connection) as six:
        client.get(URL, {"limit": 6})

    assert len(six) == len(one)


def test_no_event_carries_a_tokens_secret_digest_or_last_characters(
    as_basic, as_token, admin, member, make_token
):
    origin = ClientInfo(method="api", address="192.0.2.1", user_agent="agent/1")
    issued = make_token(member, name="leaky?", client=origin)
    assert as_token(issued.plaintext).get("/api/users/me").status_code == 200
    revoke_personal_token(issued.record, by=member, client=origin)
    assert as_token(issued.plaintext).get("/api/users/me").status_code == 401
    unknown = token_format.generate(TokenType.PERSONAL)
    assert as_token(unknown, "token").get("/api/users/me").status_code == 401

    response = as_basic(admin).get(URL)

    assert response.status_code == 200
    results = response.json()["results"]
    assert [(e["action"], e["reason"]) for e in results] == [
        ("failed", "invalid_token"),
        ("failed", "token_revoked"),
        ("revoked", ""),
        ("issued", ""),
    ]
    assert all(set(event) == set(COLUMNS) for event in results)
    assert {event["credential_id"] for event in results[1:]} == {str(issued.record.pk)}
    body = response.content.decode()
    for secret in [issued.plaintext, issued.record.digest, unknown, "twp_"]:
        assert secret not in body
    assert f"…{issued.record.last4}" not in body
