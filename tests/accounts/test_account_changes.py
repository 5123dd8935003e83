"""The rules on changing accounts, shared by the API and the administration pages."""

from __future__ import annotations

import pytest

from tokenward.accounts import services as accounts
from tokenward.audit.models import AuditEvent
from tokenward.audit.services import ClientInfo

pytestmark = pytest.mark.django_db

TEST = ClientInfo(method="test")


def test_the_api_refuses_to_demote_the_last_administrator(as_basic, admin):
    response = as_basic(admin).patch(f"/api/users/{admin.pk}", {"role": "user"}, format="json")

    assert response.status_code == 400
    assert "last active administrator" in str(response.json())
    admin.refresh_from_db()
    assert admin.is_administrator


def test_the_system_user_does_not_count_as_the_remaining_administrator(admin):
    accounts.ensure_bootstrap_accounts(None)  # the System user, and "admin"
    accounts.set_active(accounts.find_user(accounts.ADMIN_LOGIN), False)

    with pytest.raises(accounts.AccountFieldError) as refused:
        accounts.update_account(admin, {"is_active": False}, by=admin, client=TEST)

    assert refused.value.field == "is_active"
    admin.refresh_from_db()
    assert admin.is_active


def test_another_administrator_may_be_demoted(admin, make_user):
    deputy = make_user("deputy", role="administrator")

    changed = accounts.update_account(deputy, {"role": "user"}, by=admin, client=TEST)

    assert changed == ["role"]
    deputy.refresh_from_db()
    assert deputy.role == "user"
    assert AuditEvent.objects.get(subject=deputy).reason == "role"


def test_nothing_changed_writes_no_audit_event(admin, member):
    changed = accounts.update_account(
        member, {"role": member.role, "is_active": True}, by=admin, client=TEST
    )

    assert changed == []
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize("changes", [{"login": "renamed"}, {"role": "overlord"}])
def test_fields_and_values_outside_the_rules_are_refused(admin, member, changes):
    with pytest.raises(accounts.AccountFieldError):
        accounts.update_account(member, changes, by=admin, client=TEST)

    member.refresh_from_db()
    assert (member.login, member.role) == ("mwhite", "user")
