"""``/auth/offline-token``: a logged-in page that creates (shown once), lists and revokes."""

from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest
from django.test import Client

from tests.web.conftest import csrf_token, step_up
from tokenward.audit.models import AuditEvent
from tokenward.audit.services import CLI
from tokenward.tokens import offline
from tokenward.tokens.models import OfflineToken

pytestmark = pytest.mark.django_db

PAGE = "/auth/offline-token"
FORM = "application/x-www-form-urlencoded"


def post(browser: Client, data: dict):
    assert browser.get(PAGE).status_code == 200
    return browser.post(PAGE, {**data, "csrfmiddlewaretoken": csrf_token(browser)})


def test_anonymous_visitors_are_sent_to_log_in(browser):
    response = browser.get(PAGE)

    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=/auth/offline-token")


def test_logging_in_leads_back_to_the_page(browser, member):
    from tests.web.conftest import submit_login

    response = submit_login(browser, member.login, member.raw_password, next=PAGE)

    assert response.status_code == 302 and response["Location"] == PAGE


def test_creating_shows_the_token_once_and_not_again(stepped_up, member):
    response = post(stepped_up, {"name": "graphql client"})

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    shown = re.search(r"two_[0-9A-Za-z]{36}", response.content.decode()).group(0)
    row = OfflineToken.objects.get()
    assert (row.owner, row.name, row.last4) == (member, "graphql client", shown[-4:])
    again = stepped_up.get(PAGE).content.decode()
    assert shown not in again and f"two_…{shown[-4:]}" in again
    assert AuditEvent.objects.filter(action="issued", credential_kind="offline_token").exists()


def test_the_shown_token_buys_an_access_token(stepped_up):
    body = post(stepped_up, {}).content.decode()
    plaintext = re.search(r"two_[0-9A-Za-z]{36}", body).group(0)

    response = Client().post(
        "/auth/token", urlencode({"refresh_token": plaintext}), content_type=FORM
    )

    assert response.status_code == 200
    assert response.json()["refresh_token"] == plaintext


def test_a_post_without_the_csrf_token_is_refused(stepped_up):
    response = stepped_up.post(PAGE, {"name": "x"})

    assert response.status_code == 403
    assert not OfflineToken.objects.exists()


def test_revoking_from_the_page(stepped_up, member):
    issued = offline.issue_offline_token(member, client=CLI)

    response = post(stepped_up, {"revoke": str(issued.record.pk)})

    assert response.status_code == 200
    issued.record.refresh_from_db()
    assert issued.record.revoked_at is not None and issued.record.revoked_by == member
    assert "Revoked." in response.content.decode()


def test_another_users_token_cannot_be_revoked(stepped_up, outsider):
    issued = offline.issue_offline_token(outsider, client=CLI)

    response = post(stepped_up, {"revoke": str(issued.record.pk)})

    assert response.status_code == 404
    issued.record.refresh_from_db()
    assert issued.record.revoked_at is None


def test_the_list_shows_only_my_tokens(stepped_up, member, outsider):
    mine = offline.issue_offline_token(member, client=CLI, name="mine")
    offline.issue_offline_token(outsider, client=CLI, name="theirs")

    body = stepped_up.get(PAGE).content.decode()

    assert mine.record.display in body and "mine" in body and "theirs" not in body


def test_without_the_api_token_permission_nothing_is_created(browser, make_user):
    from tests.web.conftest import submit_login

    user = make_user(can_use_api_tokens=False)
    submit_login(browser, user.login, user.raw_password)
    step_up(browser, user.raw_password)

    response = post(browser, {"name": "x"})

    assert response.status_code == 403
    assert not OfflineToken.objects.exists()


def test_no_csrf_token_is_needed_on_the_token_endpoint_even_with_a_session(stepped_up, member):
    issued = offline.issue_offline_token(member, client=CLI)

    body = urlencode({"refresh_token": issued.plaintext})
    response = stepped_up.post("/auth/token", body, content_type=FORM)

    assert response.status_code == 200


# Beyond 18 digits SQLite overflows; "²" and Arabic-Indic digits pass isdigit() but not int().
IMPOSSIBLE_IDS = ["99999999999999999999", "9223372036854775808", "0", "x", "-1", "²", "١٢"]


@pytest.mark.parametrize("raw_id", IMPOSSIBLE_IDS)
def test_revoking_an_impossible_id_is_not_found(stepped_up, member, raw_id):
    issued = offline.issue_offline_token(member, client=CLI)

    response = post(stepped_up, {"revoke": raw_id})

    assert response.status_code == 404
    assert "Revoked." not in response.content.decode()
    issued.record.refresh_from_db()
    assert issued.record.revoked_at is None
    assert not AuditEvent.objects.filter(action="revoked").exists()
