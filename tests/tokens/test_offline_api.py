"""``/api/offline-tokens``: owners list and revoke their offline tokens; administrators anyone's."""

from __future__ import annotations

import pytest

from tests.tokens.test_offline import CLIENT, access_for, bearer
from tokenward.audit.models import AuditEvent
from tokenward.tokens import offline
from tokenward.tokens.models import OfflineToken

pytestmark = pytest.mark.django_db

PATH = "/api/offline-tokens"
ME = "/api/users/me"
SECRET_FIELDS = {"token", "digest", "refresh_token"}


@pytest.fixture
def issue():
    def make(owner, name: str = "etl"):
        return offline.issue_offline_token(owner, client=CLIENT, name=name)

    return make


def test_the_owner_lists_their_tokens_without_secrets(as_basic, member, outsider, issue):
    first = issue(member, "etl")
    second = issue(member, "notebook")
    issue(outsider, "theirs")

    response = as_basic(member).get(PATH)

    assert response.status_code == 200
    body = response.json()
    assert [t["name"] for t in body] == ["notebook", "etl"]
    assert body[1]["id"] == first.record.pk
    assert body[0]["display"] == f"two_…{second.plaintext[-4:]}"
    assert body[0]["active"] is True and body[0]["owner"] == member.login
    assert not SECRET_FIELDS & set(body[0])
    assert second.plaintext not in response.content.decode()


def test_fields_selects_what_the_list_shows(as_basic, member, issue):
    issue(member)

    response = as_basic(member).get(PATH, {"fields": "id,name"})

    assert response.status_code == 200
    assert set(response.json()[0]) == {"id", "name"}


def test_revoking_ends_the_token_and_its_access_tokens(as_basic, member, issue):
    issued = issue(member)
    access = access_for(issued)
    assert bearer(access).get(ME).status_code == 200

    response = as_basic(member).delete(f"{PATH}/{issued.record.pk}")

    assert response.status_code == 204
    assert OfflineToken.objects.get(pk=issued.record.pk).revoked_at is not None
    assert bearer(access).get(ME).json()["code"] == "token_revoked"
    event = AuditEvent.objects.get(action="revoked", credential_kind="offline_token")
    assert (event.actor, event.subject, event.method) == (member, member, "api")
    again = as_basic(member).delete(f"{PATH}/{issued.record.pk}")
    assert again.status_code == 204
    assert AuditEvent.objects.filter(action="revoked").count() == 1


def test_another_users_token_is_not_found(as_basic, member, outsider, issue):
    theirs = issue(outsider)

    shown = as_basic(member).get(f"{PATH}/{theirs.record.pk}")
    revoked = as_basic(member).delete(f"{PATH}/{theirs.record.pk}")

    assert shown.status_code == 404 and revoked.status_code == 404
    assert revoked.json() == {"detail": "There is no such token.", "code": "not_found"}
    assert OfflineToken.objects.get(pk=theirs.record.pk).revoked_at is None


@pytest.mark.parametrize("token_id", ["0", "999999999999999999", "abc", "-1"])
def test_unknown_or_malformed_ids_are_not_found(as_basic, member, token_id):
    assert as_basic(member).delete(f"{PATH}/{token_id}").status_code == 404


def test_an_administrator_lists_and_revokes_anyones(as_basic, admin, member, issue):
    issued = issue(member)

    listed = as_basic(admin).get(PATH, {"user": member.login})
    revoked = as_basic(admin).delete(f"{PATH}/{issued.record.pk}")

    assert [t["id"] for t in listed.json()] == [issued.record.pk]
    assert revoked.status_code == 204
    row = OfflineToken.objects.get(pk=issued.record.pk)
    assert row.revoked_by == admin
    assert as_basic(admin).get(f"{PATH}/{issued.record.pk}").json()["revoked_by"] == admin.login


def test_an_administrator_asking_for_an_unknown_login_gets_404(as_basic, admin):
    response = as_basic(admin).get(PATH, {"user": "nobody"})

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_a_login_with_a_nul_is_400_before_any_query(as_basic, admin):
    # PostgreSQL would refuse it (schemathesis found a 500 there); no view sees it.
    response = as_basic(admin).get(PATH, {"user": "Y\x00U"})

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_request"


def test_a_member_cannot_list_someone_elses(as_basic, member, outsider):
    response = as_basic(member).get(PATH, {"user": outsider.login})

    assert response.status_code == 403


def test_revoke_all(as_basic, member, issue):
    kept_revoked = issue(member, "old")
    offline.revoke_offline_token(kept_revoked.record, by=member, client=CLIENT)
    issue(member, "a")
    issue(member, "b")

    response = as_basic(member).post(f"{PATH}/revoke-all", {}, format="json")

    assert response.status_code == 200
    assert response.json() == {"revoked": 2}
    assert not OfflineToken.objects.filter(owner=member, revoked_at__isnull=True).exists()


def test_without_the_api_token_permission_the_list_is_refused(as_basic, make_user, issue):
    user = make_user(can_use_api_tokens=True)
    issue(user)
    user.can_use_api_tokens = False
    user.save(update_fields=["can_use_api_tokens"])

    response = as_basic(user).get(PATH)

    assert response.status_code == 403
    assert response.json()["code"] == "api_tokens_disabled"


def test_the_api_creates_no_offline_token(as_basic, member):
    response = as_basic(member).post(PATH, {"name": "x"}, format="json")

    assert response.status_code == 405
    assert not OfflineToken.objects.exists()


def test_anonymous_callers_are_challenged():
    from rest_framework.test import APIClient

    response = APIClient().get(PATH)

    assert response.status_code == 401
    assert "WWW-Authenticate" in response
