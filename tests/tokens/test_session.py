"""24-hour session tokens (Tuleap's ``/api/tokens``): issue, verify, end, and end on change."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.tokens.conftest import START
from tokenward.accounts import services as accounts
from tokenward.accounts.models import User
from tokenward.audit.models import Action, AuditEvent
from tokenward.audit.services import ClientInfo
from tokenward.credentials.digest import token_digest
from tokenward.credentials.format import TokenType, generate, parse
from tokenward.errors import AccessDeniedError, CredentialError, ErrorCode
from tokenward.tokens import session
from tokenward.tokens.models import SessionToken
from tokenward.tokens.verified import verified_tokens

pytestmark = pytest.mark.django_db

CLIENT = ClientInfo(method="test", address="127.0.0.1")


def verify(issued: session.IssuedSessionToken, user_id: int | None = None):
    owner_id = issued.record.owner_id if user_id is None else user_id
    return session.verify_session_token(issued.plaintext, owner_id, CLIENT)


def refusal(issued: session.IssuedSessionToken, user_id: int | None = None) -> CredentialError:
    with pytest.raises(CredentialError) as caught:
        verify(issued, user_id)
    return caught.value


def events(action: Action) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("id"))


# --- issue -------------------------------------------------------------------------------


def test_issue_stores_only_a_digest_and_audits(member, clock):
    issued = session.issue_session_token(member, CLIENT)

    assert parse(issued.plaintext, TokenType.SESSION).value == issued.plaintext
    row = SessionToken.objects.get()
    assert row.pk == issued.record.pk
    assert row.digest == token_digest(issued.plaintext)
    assert row.last4 == issued.plaintext[-4:]
    stored = [str(getattr(row, f.attname)) for f in SessionToken._meta.concrete_fields]
    assert not any(issued.plaintext in value for value in stored)
    assert (row.owner, row.created_at, row.ended_at, row.end_reason) == (member, START, None, "")
    [event] = events(Action.ISSUED)
    assert (event.credential_kind, event.credential_id) == ("session_token", str(row.pk))
    assert (event.actor, event.subject, event.method) == (member, member, "test")


def test_each_issue_is_a_new_token(member):
    first = session.issue_session_token(member, CLIENT)
    second = session.issue_session_token(member, CLIENT)

    assert first.plaintext != second.plaintext
    assert SessionToken.objects.count() == 2


@pytest.mark.parametrize("who", ["inactive", "requester", "permission_off"])
def test_issue_is_refused_to_accounts_that_may_not_use_tokens(who, request, make_user):
    if who == "permission_off":
        user = make_user(can_use_api_tokens=False)
    else:
        user = request.getfixturevalue(who)

    with pytest.raises(AccessDeniedError):
        session.issue_session_token(user, CLIENT)

    assert not SessionToken.objects.exists()
    assert not AuditEvent.objects.exists()


# --- verify ------------------------------------------------------------------------------


def test_verify_returns_the_owner_without_scopes(member):
    issued = session.issue_session_token(member, CLIENT)

    verified = verify(issued)

    assert (verified.kind, verified.token_id, verified.owner) == (
        "session_token",
        issued.record.pk,
        member,
    )
    assert verified.scopes is None
    assert not events(Action.FAILED)


def test_lifetime_is_exactly_24_hours(member, clock):
    issued = session.issue_session_token(member, CLIENT)
    assert issued.record.expires_at == START + timedelta(hours=24) == START + session.LIFETIME

    clock.shift(timedelta(hours=23, minutes=59, seconds=59))
    assert verify(issued).owner == member

    clock.shift(timedelta(seconds=1))
    error = refusal(issued)

    assert (error.code, error.detail) == (ErrorCode.TOKEN_EXPIRED, "This token has expired.")
    [event] = events(Action.FAILED)
    assert (event.reason, event.credential_id, event.subject) == (
        "token_expired",
        str(issued.record.pk),
        member,
    )


def test_a_cached_token_expires_at_24_hours_too(member, clock, settings):
    settings.TOKENWARD = {**settings.TOKENWARD, "VERIFIED_TOKEN_CACHE_SECONDS": 10 * 24 * 3600}
    issued = session.issue_session_token(member, CLIENT)
    clock.shift(timedelta(hours=23, minutes=59, seconds=59))
    verify(issued)
    assert verified_tokens.get(issued.record.digest) is not None

    clock.shift(timedelta(seconds=1))
    error = refusal(issued)

    assert error.code == ErrorCode.TOKEN_EXPIRED
    assert verified_tokens.get(issued.record.digest) is None


def test_unknown_token_is_invalid_token(db):
    value = generate(TokenType.SESSION)

    with pytest.raises(CredentialError) as caught:
        session.verify_session_token(value, 1, CLIENT)

    assert (caught.value.code, caught.value.detail) == (ErrorCode.INVALID_TOKEN, "Invalid token.")
    [event] = events(Action.FAILED)
    assert (event.credential_kind, event.credential_id, event.subject) == (
        "session_token",
        "",
        None,
    )


def test_another_users_id_is_answered_as_an_unknown_token(member, outsider, settings):
    settings.TOKENWARD = {**settings.TOKENWARD, "VERIFIED_TOKEN_CACHE_SECONDS": 3600}
    issued = session.issue_session_token(member, CLIENT)

    from_the_database = refusal(issued, outsider.pk)
    verify(issued)  # now cached
    from_the_cache = refusal(issued, outsider.pk)

    for error in (from_the_database, from_the_cache):
        assert (error.code, error.detail) == (ErrorCode.INVALID_TOKEN, "Invalid token.")
    assert [(e.reason, e.subject) for e in events(Action.FAILED)] == [
        ("invalid_token", member),
        ("invalid_token", member),
    ]
    assert verify(issued).owner == member, "a wrong id does not end the owner's token"


def test_an_ended_token_with_another_users_id_is_still_just_invalid(member, outsider):
    issued = session.issue_session_token(member, CLIENT)
    session.end_session_token(issued.record, by=member, client=CLIENT, reason="deleted")

    assert refusal(issued, outsider.pk).code == ErrorCode.INVALID_TOKEN
    assert refusal(issued).code == ErrorCode.TOKEN_REVOKED


@pytest.mark.parametrize(
    "value",
    [
        generate(TokenType.PERSONAL),
        generate(TokenType.SESSION)[:-1],
        generate(TokenType.SESSION)[:-1] + "-",
        "tws_" + "A" * 36,
    ],
    ids=["personal", "truncated", "bad-character", "bad-checksum"],
)
def test_malformed_token_reads_nothing(value, db, django_assert_num_queries):
    with django_assert_num_queries(0), pytest.raises(CredentialError) as caught:
        session.verify_session_token(value, 1, CLIENT)

    assert caught.value.code == ErrorCode.MALFORMED_TOKEN
    assert caught.value.detail.startswith("Malformed token. ")


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"is_active": False}, ErrorCode.INACTIVE_USER),
        ({"role": "requester"}, ErrorCode.API_ACCESS_DENIED),
        ({"can_use_api_tokens": False}, ErrorCode.API_TOKENS_DISABLED),
    ],
)
def test_the_owner_policy_is_checked_on_every_use(member, change, code):
    issued = session.issue_session_token(member, CLIENT)
    User.objects.filter(pk=member.pk).update(**change)  # no signal: the policy alone refuses

    error = refusal(issued)

    assert error.code == code
    [event] = events(Action.FAILED)
    assert (event.reason, event.subject) == (str(code), member)


def test_switching_the_permission_off_refuses_a_cached_token_at_once(member):
    issued = session.issue_session_token(member, CLIENT)
    verify(issued)  # cached
    user = User.objects.get(pk=member.pk)

    user.can_use_api_tokens = False
    user.save()

    assert refusal(issued).code == ErrorCode.API_TOKENS_DISABLED
    user.can_use_api_tokens = True
    user.save()
    assert verify(issued).owner == member, "the permission suspends tokens; it does not end them"


# --- end ---------------------------------------------------------------------------------


def test_ending_a_token_refuses_it_at_once_and_audits(member, admin):
    issued = session.issue_session_token(member, CLIENT)
    verify(issued)  # cached

    assert session.end_session_token(issued.record, by=admin, client=CLIENT, reason="deleted")
    assert not session.end_session_token(issued.record, by=admin, client=CLIENT, reason="again")

    error = refusal(issued)
    assert (error.code, error.detail) == (ErrorCode.TOKEN_REVOKED, "This token has been revoked.")
    row = SessionToken.objects.get()
    assert row.ended_at is not None
    assert row.end_reason == "deleted"
    [event] = events(Action.REVOKED)
    assert (event.credential_kind, event.credential_id) == ("session_token", str(row.pk))
    assert (event.actor, event.subject, event.reason) == (admin, member, "deleted")


def test_end_all_ends_only_the_live_tokens_of_that_user(member, outsider, clock):
    old = session.issue_session_token(member, CLIENT)
    clock.shift(timedelta(hours=25))
    live = [session.issue_session_token(member, CLIENT) for _ in range(2)]
    other = session.issue_session_token(outsider, CLIENT)

    ended = session.end_all_session_tokens(member, reason="test", client=CLIENT)

    assert ended == 2
    assert {r.pk for r in SessionToken.objects.filter(ended_at__isnull=False)} == {
        t.record.pk for t in live
    }
    assert refusal(old).code == ErrorCode.TOKEN_EXPIRED
    assert verify(other).owner == outsider


def test_find_session_token(member, django_assert_num_queries):
    issued = session.issue_session_token(member, CLIENT)

    assert session.find_session_token(issued.plaintext) == issued.record
    assert session.find_session_token(generate(TokenType.SESSION)) is None
    with django_assert_num_queries(0):
        assert session.find_session_token("tws_not-a-token") is None


# --- ended when what bought them changes --------------------------------------------------


def assert_ended_by_the_server(member, issued, reason: str) -> None:
    error = refusal(issued)
    assert error.code == ErrorCode.TOKEN_REVOKED
    row = SessionToken.objects.get(pk=issued.record.pk)
    assert row.end_reason == reason
    [event] = [e for e in events(Action.REVOKED) if e.credential_kind == session.KIND]
    assert (event.credential_id, event.method, event.reason) == (str(row.pk), "system", reason)
    assert (event.actor, event.subject) == (None, member)


def test_a_password_change_ends_them(member):
    issued = session.issue_session_token(member, CLIENT)
    verify(issued)  # cached

    accounts.set_password(User.objects.get(pk=member.pk), "another-long-password-7")

    assert_ended_by_the_server(member, issued, "password")


def test_a_login_change_through_the_api_ends_them(member, admin, as_basic):
    issued = session.issue_session_token(member, CLIENT)
    verify(issued)

    response = as_basic(admin).patch(f"/api/users/{member.pk}", {"login": "mary"}, format="json")

    assert response.status_code == 200
    assert_ended_by_the_server(member, issued, "login")


def test_deactivation_ends_them_and_reactivation_does_not_revive_them(member):
    issued = session.issue_session_token(member, CLIENT)
    verify(issued)
    user = User.objects.get(pk=member.pk)

    accounts.set_active(user, False)
    accounts.set_active(user, True)

    assert_ended_by_the_server(member, issued, "deactivated")


def test_other_changes_leave_them_alone(member, outsider):
    issued = session.issue_session_token(member, CLIENT)
    user = User.objects.get(pk=member.pk)
    user.full_name = "Someone Else"
    user.save()
    accounts.set_password(User.objects.get(pk=outsider.pk), "another-long-password-7")

    assert verify(issued).owner == member
    assert not events(Action.REVOKED)
