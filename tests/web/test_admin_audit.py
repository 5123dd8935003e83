"""The audit log page: the API's filters, as a table, newest first, paged."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from tests.web.conftest import submit_login
from tokenward.audit.models import Action, AuditEvent

pytestmark = pytest.mark.django_db

AUDIT = "/admin/audit/"


@pytest.fixture
def as_admin(browser, admin) -> Client:
    assert submit_login(browser, admin.login, admin.raw_password).status_code == 302
    return browser


def event(subject, *, action=Action.ISSUED, method="bearer", at=None, kind="personal_token"):
    return AuditEvent.objects.create(
        at=at or timezone.now(),
        action=action,
        subject=subject,
        credential_kind=kind,
        credential_id="7",
        method=method,
    )


def shown_ids(response) -> list[str]:
    html = response.content.decode()
    return [chunk.split("<")[0] for chunk in html.split("<code>")[1:] if chunk.startswith("kind-")]


@pytest.fixture
def events(member, outsider):
    now = timezone.now()
    return {
        "old": event(member, at=now - dt.timedelta(days=10), kind="kind-old"),
        "member": event(member, kind="kind-member", method="web"),
        "failed": event(outsider, action=Action.FAILED, kind="kind-failed"),
        "revoked": event(outsider, action=Action.REVOKED, kind="kind-revoked"),
    }


def test_every_event_newest_first(as_admin, events):
    response = as_admin.get(AUDIT)

    assert response.status_code == 200
    assert "max-age=0" in response["Cache-Control"]
    assert shown_ids(response)[-1] == "kind-old"
    assert set(shown_ids(response)) >= {"kind-member", "kind-failed", "kind-revoked"}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"user": "stranger"}, {"kind-failed", "kind-revoked"}),
        ({"action": "failed"}, {"kind-failed"}),
        ({"method": "web"}, {"kind-member"}),
        ({"user": "mwhite", "method": "bearer"}, {"kind-old"}),
    ],
)
def test_filters_narrow_the_rows(as_admin, events, query, expected):
    response = as_admin.get(AUDIT, query)

    assert response.status_code == 200
    assert set(shown_ids(response)) == expected


def test_dates_are_whole_days(as_admin, events):
    today = timezone.localdate()
    old_day = today - dt.timedelta(days=10)

    only_today = as_admin.get(AUDIT, {"since": today.isoformat()})
    up_to_old = as_admin.get(AUDIT, {"until": old_day.isoformat()})

    assert "kind-old" not in shown_ids(only_today)
    assert len(shown_ids(only_today)) == 3
    assert shown_ids(up_to_old) == ["kind-old"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"user": "nobody-here"}, "There is no user with this login."),
        ({"since": "2026-05-02", "until": "2026-05-01"}, "until must be later than since."),
        ({"action": "exploded"}, "Select a valid choice"),
        ({"since": "yesterday"}, "Enter a valid date."),
    ],
)
def test_bad_filters_are_explained_with_400(as_admin, events, query, message):
    response = as_admin.get(AUDIT, query)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert shown_ids(response) == []


def test_pages_hold_fifty_events(as_admin, member):
    for _ in range(51):
        event(member, kind="kind-bulk")

    first = as_admin.get(AUDIT, {"user": member.login})
    second = as_admin.get(AUDIT, {"user": member.login, "page": "2"})

    assert len(shown_ids(first)) == 50
    assert "page 1 of 2" in first.content.decode()
    assert "page=2" in first.content.decode() and "user=mwhite" in first.content.decode()
    assert len(shown_ids(second)) == 1


def test_the_audit_api_still_filters_the_same_way(as_basic, admin, events):
    reply = as_basic(admin).get("/api/audit-events", {"user": "stranger", "action": "failed"})

    assert reply.status_code == 200
    assert [row["credential_kind"] for row in reply.json()["results"]] == ["kind-failed"]
