"""``tokens.maintenance``: expiry notices, unused-token expiry and retention, run in process.

The ``tokenward maintain`` command, and two of them at once: tests/test_cli_maintain.py.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.db.models import Q

from tests.live_server import free_port
from tests.tokens.conftest import START
from tokenward.accounts.lockout import account_key
from tokenward.accounts.models import PasswordFailureCounter
from tokenward.audit.models import AuditEvent
from tokenward.audit.services import ClientInfo
from tokenward.errors import CredentialError, ErrorCode
from tokenward.tokens import maintenance
from tokenward.tokens.checks import check_token_settings
from tokenward.tokens.models import OfflineToken, PersonalAccessToken, SessionToken
from tokenward.tokens.offline import issue_offline_token, refresh_access_token
from tokenward.tokens.personal import revoke_personal_token, verify_personal_token
from tokenward.tokens.session import issue_session_token

pytestmark = pytest.mark.django_db
CLIENT = ClientInfo(method="test", address="127.0.0.1")
DAY = timedelta(days=1)
EXPIRING = "Your personal access token {} expires on {}"


def expiring(token) -> str:
    return EXPIRING.format(token.name, f"{token.expires_at:%Y-%m-%d}")


def age(model, pk: int, **moments) -> None:
    """Move a row's timestamps into the past (or future) without waiting."""
    model.objects.filter(pk=pk).update(**moments)


# --- Expiry notices ---------------------------------------------------------------------


def test_the_owner_is_emailed_seven_days_before_expiry_and_only_once(
    clock, member, make_token, mailoutbox, settings
):
    settings.TOKENWARD = {**settings.TOKENWARD, "PUBLIC_URL": "https://tw.example.com/"}
    due = make_token(member, name="nightly", expires_at=START + 7 * DAY)
    later = make_token(member, name="weekly", expires_at=START + 8 * DAY)
    make_token(member, name="forever")
    mailoutbox.clear()  # the "new token" e-mails

    first = maintenance.send_expiry_notices()
    again = maintenance.send_expiry_notices()

    assert first.line() == "expiry notices: 1 sent, 0 without an e-mail address, 0 failed"
    assert again.line() == "expiry notices: 0 sent, 0 without an e-mail address, 0 failed"
    assert [m.subject for m in mailoutbox] == [expiring(due.record)]
    message = mailoutbox[0]
    assert message.to == ["mwhite@example.com"]
    assert "nightly" in message.body
    assert f"twp_…{due.plaintext[-4:]}" in message.body
    assert due.plaintext not in message.body
    assert "2026-03-09 09:00" in message.body
    assert "https://tw.example.com/profile/tokens/" in message.body
    assert "create a new token" in message.body and "rotating" in message.body
    rows = {t.name: t.expiry_notice_sent_at for t in PersonalAccessToken.objects.all()}
    assert rows == {"nightly": START, "weekly": None, "forever": None}

    clock.shift(DAY)
    assert maintenance.send_expiry_notices().counts[0] == ("sent", 1)
    assert [m.subject for m in mailoutbox] == [expiring(due.record), expiring(later.record)]


def test_revoked_and_expired_tokens_and_inactive_owners_get_no_notice(
    clock, member, make_user, make_token, mailoutbox
):
    revoked = make_token(member, name="revoked", expires_at=START + 3 * DAY)
    revoke_personal_token(revoked.record, by=member, client=CLIENT)
    expired = make_token(member, name="expired", expires_at=START + 3 * DAY)
    age(PersonalAccessToken, expired.record.pk, expires_at=START - DAY)
    leaver = make_user("leaver", email="leaver@example.com")
    make_token(leaver, name="theirs", expires_at=START + 3 * DAY)
    leaver.is_active = False
    leaver.save(update_fields=["is_active"])
    mailoutbox.clear()

    result = maintenance.send_expiry_notices()

    assert result.counts == (("sent", 0), ("without an e-mail address", 0), ("failed", 0))
    assert mailoutbox == []
    assert not PersonalAccessToken.objects.filter(expiry_notice_sent_at__isnull=False).exists()


def test_an_owner_without_an_address_is_claimed_and_counted(clock, outsider, make_token):
    make_token(outsider, expires_at=START + DAY)

    result = maintenance.send_expiry_notices()

    assert result.counts[:2] == (("sent", 0), ("without an e-mail address", 1))
    assert PersonalAccessToken.objects.get().expiry_notice_sent_at == START
    assert mail.outbox == []


def test_a_failed_send_gives_the_claim_back_for_the_next_run(
    clock, member, make_token, mailoutbox, settings
):
    token = make_token(member, expires_at=START + DAY)
    mailoutbox.clear()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nobody listens

    failed = maintenance.send_expiry_notices()

    assert failed.line() == "expiry notices: 0 sent, 0 without an e-mail address, 1 failed"
    assert failed.failed == 1
    assert PersonalAccessToken.objects.get().expiry_notice_sent_at is None

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert maintenance.send_expiry_notices().counts[0] == ("sent", 1)
    assert [m.subject for m in mail.outbox] == [expiring(token.record)]


def test_notices_are_off_at_zero_days(clock, member, make_token, mailoutbox, settings):
    settings.TOKENWARD = {**settings.TOKENWARD, "EXPIRY_NOTICE_DAYS": 0}
    make_token(member, expires_at=START + DAY)
    mailoutbox.clear()

    assert maintenance.send_expiry_notices().line() == (
        "expiry notices: off (EXPIRY_NOTICE_DAYS is 0)"
    )
    assert mailoutbox == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_runs_send_exactly_one_notice_per_token(clock, make_user, make_token, settings):
    if connection.vendor != "postgresql":
        pytest.skip("parallel runs need PostgreSQL: SQLite's test database is in memory")
    settings.TOKENWARD = {**settings.TOKENWARD, "MAINTENANCE_BATCH_SIZE": 3}
    owners = [make_user(email=f"owner{n}@example.com") for n in range(4)]
    tokens = [
        make_token(owners[n % 4], name=f"t{n}", expires_at=START + 7 * DAY).record
        for n in range(20)
    ]
    mail.outbox.clear()
    barrier = threading.Barrier(4)
    results: list[maintenance.StepResult] = []

    def run() -> None:
        try:
            barrier.wait(timeout=10)
            results.append(maintenance.send_expiry_notices())
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert len(results) == 4
    assert sum(result.counts[0][1] for result in results) == 20
    assert sorted(m.subject for m in mail.outbox) == sorted(expiring(t) for t in tokens)
    assert PersonalAccessToken.objects.filter(expiry_notice_sent_at=START).count() == 20


# --- Unused tokens ----------------------------------------------------------------------


def test_an_unused_token_is_revoked_audited_emailed_and_refused_at_once(
    clock, member, make_token, mailoutbox, settings
):
    settings.TOKENWARD = {**settings.TOKENWARD, "VERIFIED_TOKEN_CACHE_SECONDS": 3600}
    idle = make_token(member, name="idle")
    verify_personal_token(idle.plaintext, CLIENT)  # now in the verified cache for an hour
    last_year = START - 366 * DAY  # its only use, written at once, moved back a year
    age(PersonalAccessToken, idle.record.pk, created_at=last_year, last_used_at=last_year)
    used = make_token(member, name="used")
    age(PersonalAccessToken, used.record.pk, created_at=START - 900 * DAY)
    age(PersonalAccessToken, used.record.pk, last_used_at=START - 364 * DAY)
    fresh = make_token(member, name="fresh")
    mailoutbox.clear()
    events = AuditEvent.objects.count()

    result = maintenance.expire_unused_tokens()

    assert result.line() == (
        "unused tokens: 1 personal revoked, 0 offline revoked, 1 owners e-mailed, 0 failed"
    )
    with pytest.raises(CredentialError) as refused:
        verify_personal_token(idle.plaintext, CLIENT)
    assert refused.value.code == ErrorCode.TOKEN_REVOKED
    assert verify_personal_token(used.plaintext, CLIENT).token_id == used.record.pk
    assert verify_personal_token(fresh.plaintext, CLIENT).token_id == fresh.record.pk
    row = PersonalAccessToken.objects.get(pk=idle.record.pk)
    assert (row.revoked_at, row.revoked_by) == (START, None)
    revoked = AuditEvent.objects.order_by("id")[events]
    assert (revoked.action, revoked.credential_kind, revoked.credential_id) == (
        "revoked",
        "personal_token",
        str(idle.record.pk),
    )
    assert (revoked.reason, revoked.method, revoked.actor, revoked.subject) == (
        "unused",
        "maintenance",
        None,
        member,
    )
    assert [m.subject for m in mailoutbox] == ["Your unused personal access token idle was revoked"]
    assert "not been used for 365 days" in mailoutbox[0].body
    assert f"twp_…{idle.plaintext[-4:]}" in mailoutbox[0].body

    again = maintenance.expire_unused_tokens()
    assert again.counts[0] == ("personal revoked", 0)
    assert len(mailoutbox) == 1


def test_an_unused_offline_token_is_revoked_and_buys_nothing_more(
    clock, member, mailoutbox, django_capture_on_commit_callbacks
):
    idle = issue_offline_token(member, client=CLIENT, name="laptop")
    used = issue_offline_token(member, client=CLIENT, name="server")
    age(OfflineToken, idle.record.pk, created_at=START - 400 * DAY)
    age(OfflineToken, used.record.pk, created_at=START - 400 * DAY, last_used_at=START - DAY)
    mailoutbox.clear()

    result = maintenance.expire_unused_tokens()

    assert result.counts[:3] == (
        ("personal revoked", 0),
        ("offline revoked", 1),
        ("owners e-mailed", 1),
    )
    with pytest.raises(CredentialError) as refused:
        refresh_access_token(idle.plaintext, CLIENT)
    assert refused.value.code == ErrorCode.TOKEN_REVOKED
    assert refresh_access_token(used.plaintext, CLIENT).offline.pk == used.record.pk
    event = AuditEvent.objects.get(action="revoked", credential_kind="offline_token")
    assert (event.credential_id, event.reason, event.subject) == (
        str(idle.record.pk),
        "unused",
        member,
    )
    assert [m.subject for m in mailoutbox] == ["Your unused offline token was revoked"]


def test_expired_tokens_and_inactive_owners_are_not_emailed(
    clock, member, make_user, make_token, mailoutbox
):
    expired = make_token(member, name="expired")
    age(PersonalAccessToken, expired.record.pk, created_at=START - 400 * DAY, expires_at=START)
    leaver = make_user("leaver", email="leaver@example.com")
    theirs = make_token(leaver, name="theirs")
    age(PersonalAccessToken, theirs.record.pk, created_at=START - 400 * DAY)
    leaver.is_active = False
    leaver.save(update_fields=["is_active"])
    mailoutbox.clear()

    result = maintenance.expire_unused_tokens()

    assert result.counts == (
        ("personal revoked", 1),
        ("offline revoked", 0),
        ("owners e-mailed", 0),
        ("failed", 0),
    )
    assert PersonalAccessToken.objects.get(pk=theirs.record.pk).revoked_at == START
    assert PersonalAccessToken.objects.get(pk=expired.record.pk).revoked_at is None
    assert mailoutbox == []


def test_unused_expiry_is_off_at_zero_days(clock, member, make_token, settings):
    settings.TOKENWARD = {**settings.TOKENWARD, "UNUSED_TOKEN_DAYS": 0}
    idle = make_token(member)
    age(PersonalAccessToken, idle.record.pk, created_at=START - 4000 * DAY)

    assert maintenance.expire_unused_tokens().line() == (
        "unused tokens: off (UNUSED_TOKEN_DAYS is 0)"
    )
    assert PersonalAccessToken.objects.get().revoked_at is None


# --- Retention --------------------------------------------------------------------------


@pytest.fixture
def old_and_recent_rows(clock, member, make_token):
    """Rows on each side of the 90-day retention; return the ids of those that must stay."""
    long_ago, lately = START - 91 * DAY, START - 89 * DAY
    personal = {name: make_token(member, name=name).record.pk for name in ("a", "b", "c", "d")}
    age(PersonalAccessToken, personal["a"], revoked_at=long_ago)
    age(PersonalAccessToken, personal["b"], expires_at=long_ago)
    age(PersonalAccessToken, personal["c"], revoked_at=lately)
    sessions = [issue_session_token(member, CLIENT).record.pk for _ in range(4)]
    age(SessionToken, sessions[0], expires_at=long_ago)
    age(SessionToken, sessions[1], ended_at=long_ago)
    age(SessionToken, sessions[2], expires_at=lately)
    offline = [issue_offline_token(member, client=CLIENT).record.pk for _ in range(3)]
    age(OfflineToken, offline[0], revoked_at=long_ago)
    age(OfflineToken, offline[1], revoked_at=lately, created_at=long_ago)
    ended = PasswordFailureCounter.objects.create(
        key=account_key("someone"), window_start=START - timedelta(seconds=900)
    )
    current = PasswordFailureCounter.objects.create(
        key=account_key("another"), window_start=START - timedelta(seconds=899)
    )
    return {
        "personal": {personal["c"], personal["d"]},
        "session": set(sessions[2:]),
        "offline": set(offline[1:]),
        "counters": {current.pk},
        "gone": (personal["a"], personal["b"], sessions[0], sessions[1], offline[0], ended.pk),
    }


def test_old_rows_go_and_recent_ones_and_the_audit_trail_stay(old_and_recent_rows):
    events = list(AuditEvent.objects.values_list("id", flat=True))

    result = maintenance.remove_old_rows()

    assert result.line() == (
        "retention: removed 2 personal tokens, 2 session tokens, 1 offline tokens, "
        "1 lockout counters"
    )
    kept = old_and_recent_rows
    assert set(PersonalAccessToken.objects.values_list("pk", flat=True)) == kept["personal"]
    assert set(SessionToken.objects.values_list("pk", flat=True)) == kept["session"]
    assert set(OfflineToken.objects.values_list("pk", flat=True)) == kept["offline"]
    assert set(PasswordFailureCounter.objects.values_list("pk", flat=True)) == kept["counters"]
    assert list(AuditEvent.objects.values_list("id", flat=True)) == events
    assert maintenance.remove_old_rows().counts == (
        ("personal tokens", 0),
        ("session tokens", 0),
        ("offline tokens", 0),
        ("lockout counters", 0),
    )


def test_rows_are_deleted_in_batches_of_the_configured_size(clock, member, make_token, settings):
    settings.TOKENWARD = {**settings.TOKENWARD, "MAINTENANCE_BATCH_SIZE": 2}
    for n in range(5):
        token = make_token(member, name=f"old {n}")
        age(PersonalAccessToken, token.record.pk, revoked_at=START - 100 * DAY)
    kept = make_token(member, name="live").record.pk
    deletes: list[str] = []

    def spy(execute, sql, params, many, context):
        if sql.lstrip().upper().startswith("DELETE"):
            deletes.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(spy):
        removed = maintenance.delete_in_batches(
            PersonalAccessToken, Q(revoked_at__lt=START - 90 * DAY)
        )

    assert removed == 5
    assert len(deletes) == 3
    assert all("tokens_personalaccesstoken" in sql for sql in deletes)
    assert list(PersonalAccessToken.objects.values_list("pk", flat=True)) == [kept]


# --- Dry run, summaries, settings -------------------------------------------------------


def test_a_dry_run_counts_and_changes_nothing(old_and_recent_rows, member, make_token, mailoutbox):
    make_token(member, name="due", expires_at=START + 2 * DAY)
    idle = make_token(member, name="idle")
    age(PersonalAccessToken, idle.record.pk, created_at=START - 400 * DAY)
    mailoutbox.clear()
    tables = (PersonalAccessToken, SessionToken, OfflineToken, PasswordFailureCounter, AuditEvent)
    before = [list(model.objects.order_by("pk").values()) for model in tables]

    lines = [result.line() for result in maintenance.run_maintenance(dry_run=True)]

    assert lines == [
        "expiry notices (dry run): 1 due",
        "unused tokens (dry run): would revoke 1 personal, 0 offline",
        "retention (dry run): would remove 2 personal tokens, 2 session tokens, "
        "1 offline tokens, 1 lockout counters",
        "oauth (dry run): skipped: clear_expired() has no dry run",
    ]
    assert [list(model.objects.order_by("pk").values()) for model in tables] == before
    assert mailoutbox == []


@pytest.mark.parametrize(
    ("name", "value", "check_id"),
    [
        ("EXPIRY_NOTICE_DAYS", -1, "tokenward.E035"),
        ("EXPIRY_NOTICE_DAYS", "a week", "tokenward.E035"),
        ("UNUSED_TOKEN_DAYS", 1.5, "tokenward.E036"),
        ("RETENTION_DAYS", 0, "tokenward.E037"),
        ("MAINTENANCE_BATCH_SIZE", 0, "tokenward.E038"),
        ("MAINTENANCE_BATCH_SIZE", True, "tokenward.E038"),
    ],
)
def test_a_bad_maintenance_setting_is_named_by_a_system_check(settings, name, value, check_id):
    settings.TOKENWARD = {**settings.TOKENWARD, name: value}

    errors = check_token_settings()

    assert [error.id for error in errors] == [check_id]
    assert name in errors[0].msg


def test_the_defaults_and_the_shipped_settings():
    from tokenward.conf import DEFAULTS, setting

    names = ("EXPIRY_NOTICE_DAYS", "UNUSED_TOKEN_DAYS", "RETENTION_DAYS", "MAINTENANCE_BATCH_SIZE")
    expected = {"EXPIRY_NOTICE_DAYS": 7, "UNUSED_TOKEN_DAYS": 365, "RETENTION_DAYS": 90}
    expected["MAINTENANCE_BATCH_SIZE"] = 500
    assert {name: DEFAULTS[name] for name in names} == expected
    assert {name: setting(name) for name in names} == expected
