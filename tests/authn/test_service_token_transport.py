"""``?token=`` (Targetprocess service tokens) held to the same table as every transport."""

from __future__ import annotations

import base64
import secrets
from datetime import UTC, datetime

import pytest
import time_machine
from django.contrib.sessions.models import Session
from rest_framework.test import APIClient

from tests.authn.test_token_transports import ME, with_query
from tests.conftest import basic_header, new_password
from tokenward.accounts import services as accounts
from tokenward.accounts.models import User
from tokenward.audit.models import Action, AuditEvent
from tokenward.credentials.digest import token_digest
from tokenward.credentials.format import TokenType, generate
from tokenward.tokens.service import service_token_for
from tokenward.tokens.verified import verified_tokens

pytestmark = pytest.mark.django_db

STORIES = "/api/v1/UserStories/"
AUTHENTICATION = "/api/v1/Authentication"
INVALID = {"detail": "Invalid token.", "code": "invalid_token"}
QUERY_OFF = (
    "Credentials in the query string are turned off on this server; send the token in a header."
)
SHAPE = "Malformed token. A service token's signature is 64 upper-case hex digits."
NOT_BASE64 = "Malformed token. A service token is base64 with padding."


def send(token: str, path: str = ME, client: APIClient | None = None, **extra):
    """GET ``path`` with ``?token=<token>``; return the reply."""
    client = client or APIClient(enforce_csrf_checks=True)
    return client.get(with_query(path, token=token), **extra)


def encode(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def signature_of(token: str) -> str:
    return base64.b64decode(token).decode().partition(":")[2]


def failures() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=Action.FAILED))


def assert_refused(response, detail: str, code: str) -> None:
    assert response.status_code == 401
    assert response.json() == {"detail": detail, "code": code}
    challenge = response.headers["WWW-Authenticate"]
    assert challenge == (
        f'Bearer realm="tokenward", error="invalid_token", error_description="{detail}"'
    )


def assert_kept_private(response) -> None:
    assert response.headers["Cache-Control"] == "private, no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"


def assert_failure_audited(reason: str, owner: User | None) -> None:
    [event] = failures()
    assert (event.reason, event.method, event.credential_kind) == (
        reason,
        "token_query",
        "service_token",
    )
    assert event.address == "127.0.0.1"
    assert event.subject == owner
    assert event.credential_id == (str(owner.pk) if owner is not None else "")


def obtain(user, password: str | None = None) -> str:
    """Obtain ``user``'s token as Targetprocess clients do: Basic on /api/v1/Authentication."""
    client = APIClient(enforce_csrf_checks=True)
    client.credentials(HTTP_AUTHORIZATION=basic_header(user.login, password or user.raw_password))
    response = client.get(AUTHENTICATION, {"format": "json"})
    assert response.status_code == 200, response.content
    return response.json()["Token"]


@pytest.fixture
def token(member) -> str:
    return service_token_for(member)


# --- malformed: refused before any database query, and not audited -----------------------


def sig() -> str:
    return secrets.token_hex(32).upper()


MALFORMED = {
    "missing": (lambda: "", "Malformed token. No token was given."),
    "bad-base64": (lambda: "not*base64", NOT_BASE64),
    "unpadded": (lambda: encode(f"mwhite:{sig()}").rstrip("="), NOT_BASE64),
    "personal-token": (lambda: generate(TokenType.PERSONAL), NOT_BASE64),
    "no-colon": (
        lambda: encode(f"mwhite{sig()}"),
        "Malformed token. A service token holds a login, a colon and a signature.",
    ),
    "empty-login": (
        lambda: encode(f":{sig()}"),
        "Malformed token. The service token's login is not a login.",
    ),
    "lower-case-signature": (lambda: encode(f"mwhite:{sig().lower()}"), SHAPE),
    "short-signature (the seed's example)": (
        lambda: "YWRtaW46OTRDRDg2Qzg1NjgzQUZDMzg3Qjg2QTVERTAxRTZEQzY=",
        SHAPE,
    ),
    "long-signature": (lambda: encode(f"mwhite:{sig()}AB"), SHAPE),
    "non-hex-signature": (lambda: encode(f"mwhite:{sig()[:-1]}Z"), SHAPE),
    "10kb": (
        lambda: "A" * 10_240,
        "Malformed token. A service token is at most 888 base64 characters.",
    ),
    "not-utf8": (
        lambda: base64.b64encode(b"mwhite\xff:" + sig().encode()).decode(),
        "Malformed token. A service token holds UTF-8 text.",
    ),
}


@pytest.mark.parametrize("case", MALFORMED)
def test_malformed_token_is_401_malformed_token_with_no_database_query(
    db, member, case, django_assert_num_queries
):
    make, detail = MALFORMED[case]
    value = make()

    with django_assert_num_queries(0):
        response = send(value)

    assert_refused(response, detail, "malformed_token")
    assert_kept_private(response)
    if value:
        assert value.encode() not in response.content
        assert value not in response.headers["WWW-Authenticate"]
    assert not AuditEvent.objects.exists(), "a malformed token is not a use worth auditing"


def test_a_bad_token_never_falls_back_to_anonymous_access(public_project):
    path = f"/api/projects/{public_project.id}"
    assert APIClient().get(path).status_code == 200

    response = send(encode(f"mwhite:{sig()[:-2]}"), path=path)

    assert_refused(response, SHAPE, "malformed_token")


def test_a_service_token_is_not_an_access_token(token):
    response = APIClient().get(with_query(ME, access_token=token))

    assert response.status_code == 401
    assert response.json() == {
        "detail": "Malformed token. Here a token starts with twp_.",
        "code": "malformed_token",
    }


@pytest.mark.parametrize("header", ["HTTP_AUTHORIZATION", "HTTP_X_AUTH_ACCESSKEY"])
def test_a_service_token_is_not_accepted_in_a_header(token, header):
    value = f"Bearer {token}" if header == "HTTP_AUTHORIZATION" else token

    response = APIClient().get(ME, **{header: value})

    assert (response.status_code, response.json()["code"]) == (401, "malformed_token")


# --- well formed but refused: audited, unknown and wrong alike -----------------------------


def test_unknown_login_and_wrong_signature_get_the_same_answer(member, token):
    unknown = encode(f"nobody:{signature_of(token)}")
    wrong = encode(f"mwhite:{sig()}")

    refused = [send(unknown), send(wrong)]

    for response in refused:
        assert_refused(response, "Invalid token.", "invalid_token")
        assert_kept_private(response)
    assert refused[0].content == refused[1].content
    assert refused[0].headers["WWW-Authenticate"] == refused[1].headers["WWW-Authenticate"]
    unknown_event, wrong_event = sorted(failures(), key=lambda event: event.pk)
    assert (unknown_event.subject, unknown_event.credential_id) == (None, "")
    assert (wrong_event.subject, wrong_event.credential_id) == (member, str(member.pk))
    for event in (unknown_event, wrong_event):
        assert (event.reason, event.credential_kind, event.method) == (
            "invalid_token",
            "service_token",
            "token_query",
        )


def test_another_users_signature_under_my_login_is_invalid(member, outsider):
    theirs = signature_of(service_token_for(outsider))

    response = send(encode(f"{member.login}:{theirs}"))

    assert_refused(response, "Invalid token.", "invalid_token")
    assert_failure_audited("invalid_token", member)


def test_a_token_signed_under_another_server_key_is_invalid(settings, member):
    settings.TOKENWARD = {**settings.TOKENWARD, "TOKEN_DIGEST_KEY": secrets.token_urlsafe(32)}
    foreign = service_token_for(member)
    settings.TOKENWARD = {**settings.TOKENWARD, "TOKEN_DIGEST_KEY": secrets.token_urlsafe(32)}

    assert_refused(send(foreign), "Invalid token.", "invalid_token")


def test_token_of_an_inactive_owner_is_inactive_user(inactive):
    response = send(service_token_for(inactive))

    assert_refused(response, "This account is inactive.", "inactive_user")
    assert_failure_audited("inactive_user", inactive)


def test_token_of_a_requester_is_api_access_denied(make_user):
    asker = make_user("asker", role="requester", can_use_api_tokens=True)

    response = send(service_token_for(asker))

    assert_refused(
        response, "Requester accounts are not granted access to the API.", "api_access_denied"
    )
    assert_failure_audited("api_access_denied", asker)


def test_token_permission_off_is_api_tokens_disabled_and_on_again_works(member, token):
    assert send(token).status_code == 200

    member.can_use_api_tokens = False
    member.save()
    refused = send(token)

    assert_refused(refused, "This account may not use API tokens.", "api_tokens_disabled")
    assert_failure_audited("api_tokens_disabled", member)

    member.can_use_api_tokens = True
    member.save()
    assert send(token).status_code == 200


def test_system_users_token_is_refused_until_its_password_is_set(admin):
    accounts.ensure_bootstrap_accounts(new_password())
    system = accounts.find_user("System")
    early = service_token_for(system)

    refused = send(early)

    assert_refused(
        refused,
        "The System user's password is not set; an administrator must set it first.",
        "password_not_set",
    )
    assert_failure_audited("password_not_set", system)

    accounts.set_password(system, new_password())
    client = APIClient(enforce_csrf_checks=True)
    client.credentials(HTTP_AUTHORIZATION=basic_header(admin.login, admin.raw_password))
    fresh = client.get(AUTHENTICATION, {"login": "System", "format": "json"}).json()["Token"]
    accepted = send(fresh)

    assert accepted.status_code == 200
    assert (accepted.json()["login"], accepted.json()["auth_method"]) == ("System", "token_query")
    # The token obtained before signed the unusable password: setting one replaced it.
    assert_refused(send(early), "Invalid token.", "invalid_token")


# --- success ------------------------------------------------------------------------------


def test_valid_token_authenticates_its_owner_on_api_users_me(member, token):
    response = send(token)

    assert response.status_code == 200
    body = response.json()
    assert (body["login"], body["auth_method"]) == (member.login, "token_query")
    assert "WWW-Authenticate" not in response.headers
    assert_kept_private(response)
    assert token.encode() not in response.content
    assert not AuditEvent.objects.exists(), "a use is not audited; only issues and failures"
    assert not Session.objects.exists(), "a token request must not create a session"
    assert "sessionid" not in response.cookies


def test_valid_token_reads_targetprocess_stories_in_json(
    member, token, private_project, make_story
):
    story = make_story(private_project, owner=member)

    response = send(token, path=f"{STORIES}?format=json")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert [item["Id"] for item in response.json()["Items"]] == [story.id]
    assert_kept_private(response)
    assert token.encode() not in response.content


def test_the_token_is_not_narrowed_it_may_write(member, token, private_project):
    response = APIClient(enforce_csrf_checks=True).post(
        with_query("/api/stories", token=token),
        {"name": "Filed with a service token", "project_id": private_project.id},
        format="json",
    )

    assert response.status_code == 201, response.content
    assert response.json()["owner"]["login"] == member.login


def test_repeated_use_is_answered_from_the_verified_cache(token, django_assert_max_num_queries):
    assert send(token).status_code == 200

    with django_assert_max_num_queries(0):
        response = send(token)

    assert (response.status_code, response.json()["auth_method"]) == (200, "token_query")


def test_a_save_of_the_owner_drops_the_cache_entry(member, token):
    assert send(token).status_code == 200
    assert verified_tokens.get(token_digest(token)) is not None

    User.objects.get(pk=member.pk).save()

    assert verified_tokens.get(token_digest(token)) is None


# --- query-string rules and conflicts ------------------------------------------------------


def test_token_twice_in_the_query_is_400_invalid_request(api, token):
    response = api.get(f"{ME}?token={token}&token={token}")

    assert response.status_code == 400
    assert response.json() == {
        "detail": "The query string carries token more than once.",
        "code": "invalid_request",
    }
    assert_kept_private(response)
    assert not AuditEvent.objects.exists()


def test_query_credentials_turned_off_refuse_token_too(settings, member, token):
    settings.TOKENWARD = {**settings.TOKENWARD, "QUERY_STRING_CREDENTIALS": False}

    for value in (token, "whatever"):
        response = send(value)
        assert response.status_code == 400
        assert response.json() == {"detail": QUERY_OFF, "code": "invalid_request"}
        assert_kept_private(response)


@pytest.mark.parametrize("other", ["basic", "bearer", "access_token_query"])
def test_token_with_another_credential_is_400_invalid_request(
    member, token, make_token, other, django_assert_num_queries
):
    path, extra = ME, {}
    if other == "basic":
        extra["HTTP_AUTHORIZATION"] = basic_header(member.login, member.raw_password)
    elif other == "bearer":
        extra["HTTP_AUTHORIZATION"] = f"Bearer {make_token(member).plaintext}"
    else:
        path = with_query(ME, access_token=make_token(member).plaintext)

    with django_assert_num_queries(0):
        response = send(token, path=path, **extra)

    assert response.status_code == 400
    assert response.json() == {
        "detail": f"The request carries more than one credential ({other}, token_query); "
        "send exactly one.",
        "code": "invalid_request",
    }
    assert_kept_private(response)


def test_a_token_wins_over_an_ambient_session_cookie(member, admin):
    browser = APIClient(enforce_csrf_checks=True)
    browser.force_login(member)

    response = send(service_token_for(admin), client=browser)

    assert (response.json()["login"], response.json()["auth_method"]) == (
        admin.login,
        "token_query",
    )


def test_web_pages_refuse_a_service_token(api, token):
    response = api.get(with_query("/profile/", token=token))

    assert response.status_code == 400
    assert token not in response.content.decode()
    assert_kept_private(response)


# --- the token ends with the login, the password or the account ---------------------------


def test_a_password_change_kills_the_token_at_once_and_a_new_one_works(as_basic, admin, member):
    token = obtain(member)
    assert send(token).status_code == 200  # cached now

    password = new_password()
    changed = as_basic(admin).post(
        f"/api/users/{member.id}/password", {"password": password}, format="json"
    )
    assert changed.status_code == 204
    refused = send(token)

    assert_refused(refused, "Invalid token.", "invalid_token")
    assert_failure_audited("invalid_token", member)
    fresh = obtain(member, password)
    assert fresh != token
    assert send(fresh).json()["login"] == member.login


def test_setting_the_same_password_again_still_ends_the_token(member, token):
    assert send(token).status_code == 200

    accounts.set_password(member, member.raw_password, validate=False)

    assert_refused(send(token), "Invalid token.", "invalid_token")


def test_a_login_change_kills_the_token_at_once_and_a_new_one_works(as_basic, admin, member):
    token = obtain(member)
    assert send(token).status_code == 200

    renamed = as_basic(admin).patch(f"/api/users/{member.id}", {"login": "mwhite2"}, format="json")
    assert renamed.status_code == 200, renamed.content
    refused = send(token)

    assert_refused(refused, "Invalid token.", "invalid_token")
    assert_failure_audited("invalid_token", None)  # the old login names nobody now
    member.refresh_from_db()
    fresh = obtain(member, member.raw_password)
    assert base64.b64decode(fresh).startswith(b"mwhite2:")
    assert send(fresh).json()["login"] == "mwhite2"


def test_a_new_user_under_an_old_login_does_not_inherit_its_token(member, make_user):
    old = service_token_for(member)
    password_hash = member.password
    member.login = "mwhite-old"
    member.save()
    successor = make_user("mwhite", password=False)
    User.objects.filter(pk=successor.pk).update(password=password_hash)  # even the same hash

    assert_refused(send(old), "Invalid token.", "invalid_token")


def test_deactivation_kills_the_token_at_once_and_activation_restores_it(member, token):
    assert send(token).status_code == 200

    accounts.set_active(member, False)
    refused = send(token)

    assert_refused(refused, "This account is inactive.", "inactive_user")
    assert_failure_audited("inactive_user", member)
    accounts.set_active(member, True)
    assert send(token).status_code == 200


def test_a_password_changed_on_another_server_is_honoured_within_the_bound(member, token):
    with time_machine.travel(datetime(2026, 3, 2, 9, 0, tzinfo=UTC), tick=False) as clock:
        assert send(token).status_code == 200
        User.objects.filter(pk=member.pk).update(password=f"changed-{secrets.token_hex(8)}")

        clock.shift(0.5)
        assert send(token).status_code == 200  # within the stated one-second bound
        clock.shift(0.6)
        response = send(token)

    assert_refused(response, "Invalid token.", "invalid_token")
