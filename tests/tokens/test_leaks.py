"""``POST /api/leaked-tokens``: a signed report of leaked tokens revokes each live one, tells its
owner, audits it, and answers which were live without saying whose they were."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from datetime import timedelta

import pytest
from django.core.checks import run_checks
from oauth2_provider.models import AccessToken, RefreshToken
from rest_framework.test import APIClient

from tests.oauth.conftest import make_app, obtain_tokens  # noqa: F401  (fixtures)
from tests.tokens.conftest import clock  # noqa: F401  (the stopped clock fixture)
from tokenward.audit.models import Action, AuditEvent
from tokenward.audit.services import ClientInfo
from tokenward.credentials.format import TokenType, generate
from tokenward.tokens import offline, session
from tokenward.tokens.models import OfflineToken, PersonalAccessToken, SessionToken

pytestmark = pytest.mark.django_db

URL = "/api/leaked-tokens"
CLIENT = ClientInfo(method="test", address="192.0.2.7")
FOUND_AT = "https://github.com/someone/project/blob/abc123/settings.py"
KINDS = ["personal", "session", "offline", "oauth_access", "oauth_refresh"]


@pytest.fixture
def secret(settings):
    """Turn reports on with a fresh shared secret, and return it."""
    value = secrets.token_urlsafe(32)
    settings.TOKENWARD = {**getattr(settings, "TOKENWARD", {}), "LEAK_REPORT_SECRET": value}
    return value


def sign(body: bytes, key: str) -> str:
    return "sha256=" + hmac.new(key.encode(), body, hashlib.sha256).hexdigest()


def report(key: str | None, entries, *, signature: str | None = None, raw: bytes | None = None):
    """Post ``entries`` (or the bytes ``raw``) as a scanner does, signed with ``key``."""
    body = raw if raw is not None else json.dumps(entries).encode()
    headers = {}
    if signature is not None:
        headers["HTTP_X_TOKENWARD_SIGNATURE"] = signature
    elif key is not None:
        headers["HTTP_X_TOKENWARD_SIGNATURE"] = sign(body, key)
    client = APIClient(enforce_csrf_checks=True)
    return client.post(URL, body, content_type="application/json", **headers)


def entry(token: str) -> dict[str, str]:
    return {"token": token, "type": "tokenward_token", "url": FOUND_AT, "source": "content"}


def sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


@pytest.fixture
def issue(member, make_token, make_app, obtain_tokens):  # noqa: F811
    """Issue a live token of ``kind`` to ``member``; return (plaintext, audit kind, is_revoked)."""

    def make(kind: str):
        if kind == "personal":
            issued = make_token(member, name="deploy key")
            row = issued.record
            return issued.plaintext, "personal_token", lambda: _reread(row).revoked_at is not None
        if kind == "session":
            issued = session.issue_session_token(member, CLIENT)
            row = issued.record
            return issued.plaintext, "session_token", lambda: _reread(row).ended_at is not None
        if kind == "offline":
            issued = offline.issue_offline_token(member, client=CLIENT, name="etl")
            row = issued.record
            return issued.plaintext, "offline_token", lambda: _reread(row).revoked_at is not None
        pair = obtain_tokens(make_app(), member)
        access = AccessToken.objects.get(token_checksum=sha256(pair["access_token"]))
        if kind == "oauth_access":
            gone = lambda: not AccessToken.objects.filter(pk=access.pk).exists()  # noqa: E731
            return pair["access_token"], "oauth_access_token", gone
        refresh = RefreshToken.objects.get(token_checksum=sha256(pair["refresh_token"]))

        def refresh_revoked() -> bool:
            refresh.refresh_from_db()
            return (
                refresh.revoked is not None
                and not AccessToken.objects.filter(pk=access.pk).exists()
            )

        return pair["refresh_token"], "oauth_refresh_token", refresh_revoked

    return make


def _reread(row):
    row.refresh_from_db()
    return row


def revocations():
    return list(AuditEvent.objects.filter(action=Action.REVOKED))


@pytest.mark.parametrize("kind", KINDS)
def test_a_live_token_is_revoked_audited_and_its_owner_told(
    kind, issue, secret, member, mailoutbox, django_capture_on_commit_callbacks
):
    plaintext, audit_kind, is_revoked = issue(kind)
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = report(secret, [entry(plaintext)])

    assert response.status_code == 200
    assert response.json() == [
        {"token_hash": sha256(plaintext), "token_type": audit_kind, "label": "true_positive"}
    ]
    assert response["Cache-Control"] == "no-store"
    assert is_revoked()
    [event] = revocations()
    assert (event.credential_kind, event.reason, event.method) == (
        audit_kind,
        "leaked",
        "leak_report",
    )
    assert event.subject == member and event.actor is None
    [mail] = mailoutbox
    assert mail.to == [member.email]
    assert f"{plaintext[:4]}…{plaintext[-4:]}" in mail.subject + mail.body
    assert FOUND_AT in mail.body and "revoked" in mail.body
    assert plaintext not in mail.subject + mail.body


def test_the_e_mail_names_a_personal_token_and_says_what_to_do(
    issue, secret, mailoutbox, django_capture_on_commit_callbacks
):
    plaintext, _, _ = issue("personal")
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        report(secret, [{"token": plaintext}])

    [mail] = mailoutbox
    assert '"deploy key"' in mail.body
    assert "(the report named no place)" in mail.body
    assert "Create a new token" in mail.body and "/profile/tokens/" in mail.body


def test_a_revoked_token_is_refused_at_once(issue, secret, as_token):
    plaintext, _, _ = issue("personal")
    assert as_token(plaintext).get("/api/users/me").status_code == 200  # now in the cache

    report(secret, [entry(plaintext)])
    after = as_token(plaintext).get("/api/users/me")

    assert after.status_code == 401
    assert after.json()["code"] == "token_revoked"


def test_an_offline_tokens_access_tokens_die_with_it(member, secret):
    issued = offline.issue_offline_token(member, client=CLIENT)
    access = offline.refresh_access_token(issued.plaintext, CLIENT).value
    bearer = APIClient()
    bearer.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    assert bearer.get("/api/users/me").status_code == 200

    assert report(secret, [entry(issued.plaintext)]).json()[0]["label"] == "true_positive"
    after = bearer.get("/api/users/me")

    assert after.status_code == 401
    assert after.json()["code"] == "token_revoked"


@pytest.mark.parametrize("kind", KINDS)
def test_an_already_revoked_token_is_a_false_positive_and_nobody_is_told(
    kind, issue, secret, mailoutbox, django_capture_on_commit_callbacks
):
    plaintext, audit_kind, _ = issue(kind)
    report(secret, [entry(plaintext)])
    mailoutbox.clear()
    before = AuditEvent.objects.count()

    with django_capture_on_commit_callbacks(execute=True):
        replay = report(secret, [entry(plaintext)])

    assert replay.status_code == 200
    assert replay.json() == [
        {"token_hash": sha256(plaintext), "token_type": audit_kind, "label": "false_positive"}
    ]
    assert mailoutbox == []
    assert AuditEvent.objects.count() == before


def test_a_replayed_report_changes_nothing(
    issue, secret, mailoutbox, django_capture_on_commit_callbacks
):
    plaintext, _, _ = issue("personal")
    body = json.dumps([entry(plaintext)]).encode()
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        first = report(secret, None, raw=body)
        second = report(secret, None, raw=body)

    assert [first.json()[0]["label"], second.json()[0]["label"]] == [
        "true_positive",
        "false_positive",
    ]
    assert len(revocations()) == 1
    assert len(mailoutbox) == 1


def test_an_expired_token_is_a_false_positive(clock, issue, secret):  # noqa: F811
    plaintext, _, _ = issue("personal")
    row = PersonalAccessToken.objects.get()
    row.expires_at = row.created_at + timedelta(days=1)
    row.save(update_fields=["expires_at"])
    clock.shift(timedelta(days=2))

    response = report(secret, [entry(plaintext)])

    assert response.json()[0]["label"] == "false_positive"
    assert PersonalAccessToken.objects.get().revoked_at is None
    assert revocations() == []


def test_an_expired_session_token_is_a_false_positive(clock, member, secret):  # noqa: F811
    issued = session.issue_session_token(member, CLIENT)
    clock.shift(timedelta(hours=25))

    response = report(secret, [entry(issued.plaintext)])

    assert response.json()[0]["label"] == "false_positive"
    assert SessionToken.objects.get().ended_at is None


@pytest.mark.parametrize(
    "value",
    [
        generate(TokenType.PERSONAL)[:-1] + "0",  # a bad checksum
        "twp_" + "a" * 36,
        "ghp_" + secrets.token_hex(18),  # someone else's token
        "not a token at all",
        "twa_",
    ],
)
def test_a_malformed_token_is_a_false_positive_read_from_nowhere(
    value, secret, django_assert_num_queries
):
    with django_assert_num_queries(0):
        response = report(secret, [{"token": value, "type": "something_else"}])

    assert response.status_code == 200
    [verdict] = response.json()
    assert verdict["token_hash"] == sha256(value)
    assert verdict["label"] == "false_positive"
    assert AuditEvent.objects.count() == 0


def test_the_token_type_is_the_kind_its_prefix_names_else_the_type_reported(secret):
    response = report(
        secret,
        [
            {"token": "twr_short", "type": "tokenward_refresh"},
            {"token": "abc", "type": "tokenward_session"},
            {"token": "def"},
        ],
    )

    types = [verdict["token_type"] for verdict in response.json()]
    assert types == ["oauth_refresh_token", "tokenward_session", "unknown"]


@pytest.mark.parametrize("kind", ["personal", "session", "offline"])
def test_an_unknown_well_formed_token_is_a_false_positive_and_writes_nothing(kind, secret):
    value = generate(TokenType[{"personal": "PERSONAL", "session": "SESSION"}.get(kind, "OFFLINE")])

    response = report(secret, [entry(value)])

    assert response.json()[0]["label"] == "false_positive"
    assert AuditEvent.objects.count() == 0


def test_the_reply_keeps_order_reveals_no_owner_and_holds_no_token(issue, secret, member):
    live, _, _ = issue("personal")
    unknown = generate(TokenType.OFFLINE)

    response = report(secret, [entry(unknown), entry(live), entry("junk"), entry(live)])

    text = response.content.decode()
    assert [v["label"] for v in response.json()] == [
        "false_positive",
        "true_positive",
        "false_positive",
        "true_positive",  # named twice in one report: the same verdict twice
    ]
    assert all(set(v) == {"token_hash", "token_type", "label"} for v in response.json())
    for secret_or_owner in (live, unknown, member.login, member.email, member.full_name):
        assert secret_or_owner not in text
    assert len(revocations()) == 1


@pytest.mark.parametrize(
    "signature",
    [
        None,  # no header
        "",
        "sha256=",
        "sha1=" + "0" * 40,
        "sha256=" + "0" * 64,
        "sha256=zz-not-hex",
        "sha256=ëë",
    ],
)
def test_a_missing_or_wrong_signature_is_401_and_revokes_nothing(signature, issue, secret):
    plaintext, _, is_revoked = issue("personal")
    body = json.dumps([entry(plaintext)]).encode()
    headers = {} if signature is None else {"HTTP_X_TOKENWARD_SIGNATURE": signature}

    response = APIClient().post(URL, body, content_type="application/json", **headers)

    assert response.status_code == 401
    assert response.json()["code"] == "invalid_signature"
    assert "X-Tokenward-Signature" in response.json()["detail"]
    assert response["WWW-Authenticate"].startswith("Signature ")
    assert response["Cache-Control"] == "no-store"
    assert not is_revoked()
    assert revocations() == []


def test_a_report_signed_with_another_secret_is_401(issue, secret):
    plaintext, _, is_revoked = issue("personal")

    response = report(secrets.token_urlsafe(32), [entry(plaintext)])

    assert response.status_code == 401
    assert not is_revoked()


def test_a_signature_of_another_body_is_401(issue, secret):
    plaintext, _, is_revoked = issue("personal")
    signed = sign(b"[]", secret)

    response = report(secret, [entry(plaintext)], signature=signed)

    assert response.status_code == 401
    assert not is_revoked()


def test_an_upper_case_signature_is_accepted(secret):
    body = b"[]"
    response = report(
        secret, None, raw=body, signature=sign(body, secret).upper().replace("SHA256", "sha256")
    )

    assert response.status_code == 200
    assert response.json() == []


def test_without_a_secret_the_endpoint_is_404_and_revokes_nothing(issue):
    plaintext, _, is_revoked = issue("personal")

    response = report("", [entry(plaintext)])

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "code": "not_found"}
    assert not is_revoked()


def test_other_methods_are_refused(secret):
    response = APIClient().get(URL)

    assert response.status_code == 405


@pytest.mark.parametrize(
    ("raw", "status", "code"),
    [
        (b"{not json", 400, "parse_error"),
        (b"\xff\xfe\x00", 400, "invalid_request"),  # a NUL: refused before any view
        (b"[" * 100_000, 400, "parse_error"),
        (b'{"token": "twp_x"}', 400, "parse_error"),
        (b'"twp_x"', 400, "parse_error"),
        (b"[1]", 400, "invalid"),
        (b'[{"type": "x"}]', 400, "invalid"),
        (b'[{"token": 5}]', 400, "invalid"),
        (b'[{"token": null}]', 400, "invalid"),
        (b'[{"token": "a\\u0000b"}]', 400, "invalid_request"),
        (b'[{"token": "\\ud800"}]', 400, "invalid"),
        (b'[{"token": "x", "url": 7}]', 400, "invalid"),
    ],
)
def test_a_body_that_is_not_a_list_of_tokens_is_400(raw, status, code, secret, issue):
    _, _, is_revoked = issue("personal")

    response = report(secret, None, raw=raw)

    assert response.status_code == status
    assert response.json()["code"] == code
    assert not is_revoked()


def test_a_bad_entry_is_named_by_its_position(secret, issue):
    plaintext, _, is_revoked = issue("personal")

    response = report(secret, [entry(plaintext), {"token": 5}])

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"1"}
    assert not is_revoked()  # one bad entry: nothing of the report is done


def test_at_most_1000_tokens_per_report(secret, issue):
    plaintext, _, is_revoked = issue("personal")
    filler = [{"token": f"junk{i}"} for i in range(1000)]

    too_many = report(secret, [entry(plaintext), *filler])
    enough = report(secret, filler)

    assert too_many.status_code == 413
    assert too_many.json()["code"] == "report_too_large"
    assert not is_revoked()
    assert enough.status_code == 200 and len(enough.json()) == 1000


def test_a_body_over_a_mebibyte_is_413_before_its_signature_is_read(secret):
    body = json.dumps([{"token": "x" * (1024 * 1024)}]).encode()

    response = report(secret, None, raw=body)

    assert response.status_code == 413
    assert response.json()["code"] == "report_too_large"


def test_a_session_cookie_is_neither_needed_nor_a_csrf_risk(issue, secret, member):
    plaintext, _, is_revoked = issue("personal")
    browser = APIClient(enforce_csrf_checks=True)
    browser.force_login(member)
    body = json.dumps([entry(plaintext)]).encode()

    response = browser.post(
        URL, body, content_type="application/json", HTTP_X_TOKENWARD_SIGNATURE=sign(body, secret)
    )

    assert response.status_code == 200
    assert is_revoked()


@pytest.mark.parametrize(
    ("value", "fails"),
    [("", False), ("x" * 31, True), ("x" * 32, False), (12345, True), (None, True)],
)
def test_a_short_secret_is_refused_at_start_up(value, fails, settings):
    settings.TOKENWARD = {**getattr(settings, "TOKENWARD", {}), "LEAK_REPORT_SECRET": value}

    ids = {message.id for message in run_checks()}

    assert ("tokenward.E030" in ids) is fails


def test_an_offline_token_row_is_only_revoked_once_by_two_reports(issue, secret):
    plaintext, _, _ = issue("offline")

    labels = [report(secret, [entry(plaintext)]).json()[0]["label"] for _ in range(2)]

    assert labels == ["true_positive", "false_positive"]
    assert OfflineToken.objects.get().revoked_at is not None
    assert len(revocations()) == 1
