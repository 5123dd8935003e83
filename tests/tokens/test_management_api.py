"""The personal token API: callers manage their own tokens, administrators anyone's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from tokenward.audit.models import AuditEvent
from tokenward.tokens.models import PersonalAccessToken

pytestmark = pytest.mark.django_db

TOKENS = "/api/personal-tokens"
TOKENS_DISABLED = {"detail": "This account may not use API tokens.", "code": "api_tokens_disabled"}
NOT_FOUND = {"detail": "There is no such token.", "code": "not_found"}
ANOTHER_USER = {
    "detail": "Nobody can create personal access tokens for another user.",
    "code": "permission_denied",
}
ONLY_ADMINISTRATORS = {
    "detail": "Only administrators manage other users' tokens.",
    "code": "permission_denied",
}
NOW = datetime(2030, 5, 1, 12, 0, tzinfo=UTC)


def iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat().replace("+00:00", "Z")


def invalid(errors: dict) -> dict:
    return {"detail": "The request is invalid; see errors.", "code": "invalid", "errors": errors}


def listed(token: PersonalAccessToken) -> dict:
    """Return what the API shows of ``token`` (read afresh from its row)."""
    token.refresh_from_db()
    return {
        "id": token.id,
        "name": token.name,
        "description": token.description,
        "scopes": token.scopes,
        "display": f"twp_…{token.last4}",
        "created_at": iso(token.created_at),
        "expires_at": iso(token.expires_at),
        "last_used_at": iso(token.last_used_at),
        "last_addresses": token.last_addresses,
        "last_user_agent": token.last_user_agent,
        "last_method": token.last_method,
        "revoked_at": iso(token.revoked_at),
        "revoked_by": token.revoked_by.login if token.revoked_by else None,
        "owner": token.owner.login,
        "active": token.revoked_at is None,
    }


def events(action: str) -> list[tuple]:
    rows = AuditEvent.objects.filter(action=action).order_by("id")
    return [
        (e.credential_id, e.method, e.actor and e.actor.login, e.subject and e.subject.login)
        for e in rows
    ]


def switch_api_tokens(as_basic, admin, user, on: bool) -> None:
    response = as_basic(admin).patch(
        f"/api/users/{user.id}", {"can_use_api_tokens": on}, format="json"
    )
    assert response.status_code == 200, response.json()


# Listing


def test_list_shows_own_tokens_newest_first_and_never_a_secret(
    as_basic, member, outsider, make_token
):
    first = make_token(member, name="laptop")
    second = make_token(member, name="ci", scopes=["read"], description="The CI runner")
    make_token(outsider, name="theirs")
    before = AuditEvent.objects.count()

    response = as_basic(member).get(TOKENS)

    assert response.status_code == 200
    assert response.json() == [listed(second.record), listed(first.record)]
    for secret in (first.plaintext, second.plaintext, first.record.digest):
        assert secret not in response.content.decode()
    assert AuditEvent.objects.count() == before


def test_list_path_takes_an_optional_trailing_slash(as_basic, member, make_token):
    token = make_token(member, name="laptop")

    response = as_basic(member).get(TOKENS + "/")

    assert response.status_code == 200
    assert [t["id"] for t in response.json()] == [token.record.id]


def test_anonymous_caller_is_refused(api, member, make_token):
    make_token(member)

    response = api.get(TOKENS)

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_detail_shows_one_own_token(as_basic, member, make_token):
    token = make_token(member, name="laptop")

    response = as_basic(member).get(f"{TOKENS}/{token.record.id}")

    assert response.status_code == 200
    assert response.json() == listed(token.record)
    assert token.plaintext not in response.content.decode()


# Creating


def test_create_shows_the_secret_once_audits_and_mails(
    as_basic, as_token, member, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = as_basic(member).post(
            TOKENS,
            {"name": "ci", "description": "The CI runner", "scopes": ["read"]},
            format="json",
            HTTP_USER_AGENT="curl/8.0",
        )

    assert response.status_code == 201
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Pragma"] == "no-cache"
    body = response.json()
    plaintext = body.pop("token")
    assert plaintext.startswith("twp_")
    row = PersonalAccessToken.objects.get()
    assert body == listed(row)
    assert (row.owner, row.name, row.description, row.scopes) == (
        member,
        "ci",
        "The CI runner",
        ["read"],
    )
    assert plaintext not in (row.digest, row.name, row.description)
    assert row.last4 == plaintext[-4:]
    assert events("issued") == [(str(row.id), "api", "mwhite", "mwhite")]
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["mwhite@example.com"]
    assert mail.subject == "A new personal access token: ci"
    assert "Name:       ci" in mail.body
    assert "Scopes:     read" in mail.body
    assert f"http://testserver/profile/tokens/{row.id}/revoke/" in mail.body
    assert "curl/8.0" in mail.body
    assert plaintext not in mail.body and plaintext[-4:] not in mail.body
    # Shown once: the list has no secret; the secret works.
    listing = as_basic(member).get(TOKENS)
    assert "token" not in listing.json()[0] and plaintext not in listing.content.decode()
    me = as_token(plaintext).get("/api/users/me")
    assert (me.status_code, me.json()["login"]) == (200, "mwhite")


def test_create_defaults_to_every_scope_and_no_expiry(as_basic, member):
    response = as_basic(member).post(TOKENS, {"name": "laptop"}, format="json")

    assert response.status_code == 201
    assert (response.json()["scopes"], response.json()["expires_at"]) == (["read", "write"], None)
    row = PersonalAccessToken.objects.get()
    assert (row.scopes, row.expires_at, row.description) == (["read", "write"], None, "")


def test_create_with_the_callers_own_login_in_user_is_allowed(as_basic, member):
    response = as_basic(member).post(TOKENS, {"name": "laptop", "user": "mwhite"}, format="json")

    assert response.status_code == 201
    assert PersonalAccessToken.objects.get().owner == member


def test_duplicate_live_name_is_refused(as_basic, member, make_token):
    make_token(member, name="ci")

    response = as_basic(member).post(TOKENS, {"name": "ci"}, format="json")

    assert response.status_code == 400
    assert response.json() == invalid({"name": ["You already have a token named 'ci'."]})
    assert PersonalAccessToken.objects.count() == 1
    assert len(events("issued")) == 1


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({}, {"name": ["This field is required."]}),
        ({"name": "   "}, {"name": ["This field may not be blank."]}),
        ({"name": 7}, {"name": ["Not a valid string."]}),
        ({"name": "x" * 101}, {"name": ["Ensure this field has no more than 100 characters."]}),
        (
            {"name": "ci", "scopes": ["admin"]},
            {"scopes": {"0": ['"admin" is not a valid choice.']}},
        ),
        ({"name": "ci", "scopes": []}, {"scopes": ["This list may not be empty."]}),
        (
            {"name": "ci", "scopes": "read"},
            {"scopes": ['Expected a list of items but got type "str".']},
        ),
        (
            {"name": "ci", "expires_at": "2000-01-01T00:00:00Z"},
            {"expires_at": ["The expiry must be in the future."]},
        ),
        (
            {"name": "ci", "expires_at": "soon"},
            {
                "expires_at": [
                    "Datetime has wrong format. Use one of these formats instead: "
                    "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."
                ]
            },
        ),
    ],
    ids=[
        "no-name",
        "blank",
        "number",
        "too-long",
        "bad-scope",
        "no-scope",
        "scope-string",
        "past-expiry",
        "bad-expiry",
    ],
)
def test_invalid_request_is_400_and_writes_nothing(
    as_basic, member, mailoutbox, django_capture_on_commit_callbacks, body, errors
):
    with django_capture_on_commit_callbacks(execute=True):
        response = as_basic(member).post(TOKENS, body, format="json")

    assert response.status_code == 400
    assert response.json() == invalid(errors)
    assert not PersonalAccessToken.objects.exists()
    assert not AuditEvent.objects.exists()
    assert mailoutbox == []


def test_server_cap_gives_the_default_expiry_and_refuses_longer(as_basic, member, settings):
    settings.TOKENWARD = {**settings.TOKENWARD, "PERSONAL_TOKEN_MAX_DAYS": 30}
    client = as_basic(member)

    with time_machine.travel(NOW, tick=False):
        default = client.post(TOKENS, {"name": "default"}, format="json")
        longest = client.post(
            TOKENS, {"name": "longest", "expires_at": iso(NOW + timedelta(days=30))}, format="json"
        )
        longer = client.post(
            TOKENS,
            {"name": "longer", "expires_at": iso(NOW + timedelta(days=30, seconds=1))},
            format="json",
        )

    assert default.status_code == 201
    assert default.json()["expires_at"] == iso(NOW + timedelta(days=30))
    assert longest.status_code == 201
    assert longer.status_code == 400
    assert longer.json() == invalid(
        {"expires_at": ["A token lives at most 30 days on this server."]}
    )
    assert sorted(PersonalAccessToken.objects.values_list("name", flat=True)) == [
        "default",
        "longest",
    ]


@pytest.mark.parametrize("caller", ["admin", "member"])
def test_nobody_creates_a_token_for_another_user(
    request, as_basic, admin, member, outsider, mailoutbox, caller
):
    user = request.getfixturevalue(caller)

    response = as_basic(user).post(TOKENS, {"name": "theirs", "user": "stranger"}, format="json")

    assert response.status_code == 403
    assert response.json() == ANOTHER_USER
    assert not PersonalAccessToken.objects.exists()
    assert not AuditEvent.objects.exists()
    assert mailoutbox == []


def test_read_scoped_token_cannot_create_a_token(as_token, member, make_token):
    reader = make_token(member, name="reader", scopes=["read"])

    listing = as_token(reader.plaintext).get(TOKENS)
    response = as_token(reader.plaintext).post(TOKENS, {"name": "more"}, format="json")

    assert listing.status_code == 200
    assert response.status_code == 403
    assert response.json() == {
        "detail": "This token lacks the write scope that this request needs.",
        "code": "insufficient_scope",
    }
    assert list(PersonalAccessToken.objects.values_list("name", flat=True)) == ["reader"]


def test_a_personal_token_cannot_create_another_personal_token(as_token, member, make_token):
    writer = make_token(member, name="writer")
    mail.outbox.clear()

    response = as_token(writer.plaintext, "token").post(TOKENS, {"name": "more"}, format="json")

    assert response.status_code == 403
    assert response.json() == {
        "detail": (
            "A token cannot create a lasting credential; "
            "use your password or the Access Tokens page."
        ),
        "code": "credential_cannot_issue",
    }
    assert PersonalAccessToken.objects.filter(owner=member).count() == 1
    assert AuditEvent.objects.filter(action="issued").count() == 1  # the writer's own
    assert not mail.outbox


# Revoking


def test_revoke_own_token_makes_it_fail(as_basic, as_token, member, make_token):
    token = make_token(member, name="laptop")
    other = make_token(member, name="ci")
    assert as_token(token.plaintext).get("/api/users/me").status_code == 200  # now cached

    response = as_basic(member).delete(f"{TOKENS}/{token.record.id}")

    assert response.status_code == 204
    row = PersonalAccessToken.objects.get(pk=token.record.id)
    assert row.revoked_at is not None and row.revoked_by == member
    assert events("revoked") == [(str(row.id), "api", "mwhite", "mwhite")]
    refused = as_token(token.plaintext).get("/api/users/me")
    assert refused.status_code == 401
    assert refused.json() == {"detail": "This token has been revoked.", "code": "token_revoked"}
    assert as_token(other.plaintext).get("/api/users/me").status_code == 200
    assert as_basic(member).get(f"{TOKENS}/{row.id}").json()["active"] is False


def test_revoking_again_is_204_and_changes_nothing(as_basic, member, make_token):
    token = make_token(member, name="laptop")
    client = as_basic(member)
    client.delete(f"{TOKENS}/{token.record.id}")
    revoked_at = PersonalAccessToken.objects.get().revoked_at

    response = client.delete(f"{TOKENS}/{token.record.id}/")

    assert response.status_code == 204
    assert PersonalAccessToken.objects.get().revoked_at == revoked_at
    assert len(events("revoked")) == 1


def test_member_cannot_see_or_revoke_another_users_token(
    as_basic, as_token, member, make_token, outsider
):
    theirs = make_token(outsider, name="theirs")
    client = as_basic(member)

    shown = client.get(f"{TOKENS}/{theirs.record.id}")
    revoked = client.delete(f"{TOKENS}/{theirs.record.id}")
    unknown = client.get(f"{TOKENS}/{theirs.record.id + 100}")

    assert (shown.status_code, shown.json()) == (404, NOT_FOUND)
    assert (revoked.status_code, revoked.json()) == (404, NOT_FOUND)
    assert (unknown.status_code, unknown.json()) == (404, NOT_FOUND)
    assert PersonalAccessToken.objects.get().revoked_at is None
    assert events("revoked") == []
    assert as_token(theirs.plaintext).get("/api/users/me").status_code == 200


def test_member_cannot_list_another_users_tokens(as_basic, member, outsider, make_token):
    make_token(outsider)

    response = as_basic(member).get(TOKENS, {"user": "stranger"})

    assert response.status_code == 403
    assert response.json() == ONLY_ADMINISTRATORS


def test_administrator_lists_and_revokes_another_users_token(
    as_basic, as_token, admin, member, make_token
):
    # Administrators manage others' tokens whatever their own permission says.
    admin.can_use_api_tokens = False
    admin.save(update_fields=["can_use_api_tokens"])
    token = make_token(member, name="laptop")
    live = listed(token.record)
    client = as_basic(admin)

    listing = client.get(TOKENS, {"user": "mwhite"})
    shown = client.get(f"{TOKENS}/{token.record.id}")
    revoked = client.delete(f"{TOKENS}/{token.record.id}")

    assert (listing.status_code, listing.json()) == (200, [live])
    assert (shown.status_code, shown.json()) == (200, live)
    assert revoked.status_code == 204
    row = PersonalAccessToken.objects.get()
    assert row.revoked_by == admin
    assert events("revoked") == [(str(row.id), "api", "boss", "mwhite")]
    assert client.get(f"{TOKENS}/{row.id}").json()["revoked_by"] == "boss"
    assert as_token(token.plaintext).get("/api/users/me").json()["code"] == "token_revoked"


def test_administrator_listing_an_unknown_login_is_404(as_basic, admin):
    response = as_basic(admin).get(TOKENS, {"user": "ghost"})

    assert response.status_code == 404
    assert response.json() == {
        "detail": "There is no user with the login 'ghost'.",
        "code": "not_found",
    }


def test_revoke_all_revokes_the_callers_live_tokens(
    as_basic, as_token, member, outsider, make_token
):
    tokens = [make_token(member, name=n) for n in ("a", "b", "c")]
    theirs = make_token(outsider, name="theirs")
    client = as_basic(member)
    client.delete(f"{TOKENS}/{tokens[0].record.id}")

    response = client.post(f"{TOKENS}/revoke-all", {}, format="json")

    assert response.status_code == 200
    assert response.json() == {"revoked": 2}
    assert not PersonalAccessToken.objects.filter(owner=member, revoked_at__isnull=True).exists()
    assert [e[0] for e in events("revoked")] == [str(t.record.id) for t in tokens]
    for token in tokens:
        assert as_token(token.plaintext).get("/api/users/me").status_code == 401
    assert as_token(theirs.plaintext).get("/api/users/me").status_code == 200
    assert client.post(f"{TOKENS}/revoke-all/").json() == {"revoked": 0}


def test_administrator_revokes_all_of_another_users_tokens(as_basic, admin, member, make_token):
    make_token(member, name="a")
    make_token(member, name="b")
    mine = make_token(admin, name="mine")

    response = as_basic(admin).post(f"{TOKENS}/revoke-all", {"user": "mwhite"}, format="json")

    assert (response.status_code, response.json()) == (200, {"revoked": 2})
    assert [e[2:] for e in events("revoked")] == [("boss", "mwhite")] * 2
    mine.record.refresh_from_db()
    assert mine.record.revoked_at is None


def test_member_cannot_revoke_all_of_another_users_tokens(as_basic, member, outsider, make_token):
    make_token(outsider)

    response = as_basic(member).post(f"{TOKENS}/revoke-all", {"user": "stranger"}, format="json")

    assert (response.status_code, response.json()) == (403, ONLY_ADMINISTRATORS)
    assert PersonalAccessToken.objects.get().revoked_at is None
    assert events("revoked") == []


# The "can use API tokens" permission


def test_permission_off_refuses_management_and_disables_tokens_until_on_again(
    as_basic, as_token, admin, member, make_token
):
    token = make_token(member, name="laptop")
    assert as_token(token.plaintext).get("/api/users/me").status_code == 200  # now cached
    switch_api_tokens(as_basic, admin, member, on=False)
    client = as_basic(member)

    answers = [
        client.get(TOKENS),
        client.post(TOKENS, {"name": "more"}, format="json"),
        client.get(f"{TOKENS}/{token.record.id}"),
        client.delete(f"{TOKENS}/{token.record.id}"),
        client.post(f"{TOKENS}/revoke-all", {}, format="json"),
    ]
    used = as_token(token.plaintext).get("/api/users/me")

    assert [(r.status_code, r.json()) for r in answers] == [(403, TOKENS_DISABLED)] * 5
    assert (used.status_code, used.json()) == (401, TOKENS_DISABLED)
    assert list(PersonalAccessToken.objects.values_list("name", "revoked_at")) == [("laptop", None)]
    failed = AuditEvent.objects.get(action="failed")
    assert (failed.credential_id, failed.reason) == (str(token.record.id), "api_tokens_disabled")

    switch_api_tokens(as_basic, admin, member, on=True)

    again = as_token(token.plaintext).get("/api/users/me")
    assert (again.status_code, again.json()["login"]) == (200, "mwhite")
    assert client.get(TOKENS).status_code == 200


def test_permission_off_for_a_new_token_writes_nothing(as_basic, member, mailoutbox):
    member.can_use_api_tokens = False
    member.save(update_fields=["can_use_api_tokens"])

    response = as_basic(member).post(TOKENS, {"name": "laptop"}, format="json")

    assert (response.status_code, response.json()) == (403, TOKENS_DISABLED)
    assert not PersonalAccessToken.objects.exists()
    assert not AuditEvent.objects.exists()
    assert mailoutbox == []


def test_expired_token_is_listed_as_inactive(as_basic, member, make_token):
    token = make_token(member, name="short", expires_at=timezone.now() + timedelta(hours=1))

    with time_machine.travel(timezone.now() + timedelta(hours=2)):
        response = as_basic(member).get(TOKENS)

    assert response.status_code == 200
    assert [(t["name"], t["active"], t["revoked_at"]) for t in response.json()] == [
        ("short", False, None)
    ]
    assert PersonalAccessToken.objects.get(pk=token.record.id).revoked_at is None


def test_the_token_list_honours_the_fields_selector(member, as_basic, make_token):
    make_token(member, name="selected")

    response = as_basic(member).get("/api/personal-tokens?fields=name,scopes")

    assert response.status_code == 200
    assert response.json() == [{"name": "selected", "scopes": ["read", "write"]}]
