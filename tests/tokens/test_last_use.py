"""Last use of a personal token: written at most once a minute, and no use is lost."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.tokens.conftest import START
from tokenward.tokens.models import PersonalAccessToken
from tokenward.tokens.personal import last_use_recorder


@pytest.fixture
def token(make_token, member, clock):
    return make_token(member, name="ci")


def use(as_token, token, address="10.0.0.1", agent="curl/8.5", transport="bearer"):
    response = as_token(token.plaintext, transport).get(
        "/api/users/me", REMOTE_ADDR=address, HTTP_USER_AGENT=agent
    )
    assert response.status_code == 200
    return response


def token_writes(queries) -> int:
    return sum(
        1 for q in queries if q["sql"].startswith("UPDATE") and "personalaccesstoken" in q["sql"]
    )


def test_the_first_use_is_written_at_once(as_token, token):
    with CaptureQueriesContext(connection) as queries:
        use(as_token, token, agent="excel/16", transport="token")

    row = PersonalAccessToken.objects.get(pk=token.record.pk)
    assert token_writes(queries) == 1
    assert row.last_used_at == START
    assert row.last_addresses == ["10.0.0.1"]
    assert (row.last_user_agent, row.last_method) == ("excel/16", "token")


def test_uses_within_a_minute_write_nothing(as_token, token, clock):
    use(as_token, token)

    with CaptureQueriesContext(connection) as queries:
        for second in range(1, 11):
            clock.shift(5)
            use(as_token, token, address=f"10.0.0.{second}")

    assert token_writes(queries) == 0
    assert PersonalAccessToken.objects.get(pk=token.record.pk).last_used_at == START


def test_a_token_used_again_within_a_second_reads_nothing(as_token, token, clock):
    use(as_token, token)

    with CaptureQueriesContext(connection) as queries:
        for _ in range(10):
            clock.shift(0.05)
            use(as_token, token)

    assert [q["sql"] for q in queries] == []


def test_a_use_after_the_minute_writes_once_with_everything_since(as_token, token, clock):
    use(as_token, token, address="10.0.0.1")
    clock.shift(20)
    use(as_token, token, address="10.0.0.2")
    clock.shift(41)

    with CaptureQueriesContext(connection) as queries:
        use(as_token, token, address="10.0.0.3", agent="late/1")

    row = PersonalAccessToken.objects.get(pk=token.record.pk)
    assert token_writes(queries) == 1
    assert row.last_used_at == START + timedelta(seconds=61)
    assert row.last_addresses == ["10.0.0.3", "10.0.0.2", "10.0.0.1"]
    assert row.last_user_agent == "late/1"


def test_a_use_left_pending_is_written_by_the_next_sweep(as_token, token, clock):
    use(as_token, token, address="10.0.0.1")
    clock.shift(10)
    use(as_token, token, address="10.0.0.9", agent="pending/1")
    clock.shift(51)

    last_use_recorder().flush_due()

    row = PersonalAccessToken.objects.get(pk=token.record.pk)
    assert row.last_used_at == START + timedelta(seconds=10)
    assert row.last_addresses == ["10.0.0.9", "10.0.0.1"]
    assert row.last_user_agent == "pending/1"
    assert last_use_recorder().pending_count() == 0


def test_a_sweep_before_the_minute_keeps_the_use_pending(as_token, token, clock):
    use(as_token, token)
    clock.shift(10)
    use(as_token, token, address="10.0.0.9")

    with CaptureQueriesContext(connection) as queries:
        last_use_recorder().flush_due()

    assert token_writes(queries) == 0
    assert last_use_recorder().pending_count() == 1


def test_pending_uses_are_written_when_the_process_exits(as_token, token, clock):
    use(as_token, token)
    clock.shift(3)
    use(as_token, token, address="10.0.0.7")

    last_use_recorder().flush_all()

    row = PersonalAccessToken.objects.get(pk=token.record.pk)
    assert row.last_used_at == START + timedelta(seconds=3)
    assert row.last_addresses[0] == "10.0.0.7"


def test_another_process_that_wrote_this_minute_holds_our_write_back(as_token, token, clock):
    use(as_token, token)
    clock.shift(70)
    # Another server wrote a use a moment ago; ours must wait for the next minute.
    PersonalAccessToken.objects.filter(pk=token.record.pk).update(
        last_used_at=START + timedelta(seconds=65),
        last_use_written_at=START + timedelta(seconds=66),
        last_addresses=["10.9.9.9"],
    )

    with CaptureQueriesContext(connection) as queries:
        use(as_token, token, address="10.0.0.5")

    assert token_writes(queries) == 0
    clock.shift(60)
    last_use_recorder().flush_due()
    row = PersonalAccessToken.objects.get(pk=token.record.pk)
    assert row.last_used_at == START + timedelta(seconds=70)
    assert row.last_addresses == ["10.0.0.5", "10.9.9.9"]


def test_only_the_last_five_distinct_addresses_are_kept(as_token, token, clock):
    for n in range(1, 8):
        use(as_token, token, address=f"10.0.0.{n}")
        use(as_token, token, address=f"10.0.0.{n}")
        clock.shift(61)

    row = PersonalAccessToken.objects.get(pk=token.record.pk)
    assert row.last_addresses == ["10.0.0.7", "10.0.0.6", "10.0.0.5", "10.0.0.4", "10.0.0.3"]


def test_the_write_interval_is_a_setting(as_token, token, clock, settings):
    settings.TOKENWARD = {**settings.TOKENWARD, "LAST_USE_WRITE_SECONDS": 5}
    use(as_token, token)
    clock.shift(6)

    with CaptureQueriesContext(connection) as queries:
        use(as_token, token)

    assert token_writes(queries) == 1


def test_uses_from_the_same_client_keep_only_moving_the_time(as_token, token, clock):
    use(as_token, token)
    with CaptureQueriesContext(connection) as queries:
        for _ in range(3):
            clock.shift(5)
            use(as_token, token)

    assert token_writes(queries) == 0
    last_use_recorder().flush_all()
    row = PersonalAccessToken.objects.get(pk=token.record.pk)
    assert row.last_used_at == START + timedelta(seconds=15)
    assert (row.last_addresses, row.last_user_agent) == (["10.0.0.1"], "curl/8.5")


def test_a_use_noted_while_a_sweep_takes_the_pending_one_is_not_lost(as_token, token, clock):
    recorder = last_use_recorder()
    use(as_token, token)
    clock.shift(5)
    use(as_token, token)  # pending now: the next use of this client only moves its time

    class SweptMidway(dict):
        """Another thread's sweep writes and takes the entry just after note() reads it."""

        armed = True

        def get(self, key, default=None):
            found = super().get(key, default)
            if self.armed and found is not None:
                self.armed = False
                recorder._flush(key, force=True)
            return found

    recorder._pending = SweptMidway(recorder._pending)
    clock.shift(5)
    use(as_token, token)

    assert PersonalAccessToken.objects.get(pk=token.record.pk).last_used_at == START + timedelta(
        seconds=5
    ), "the sweep wrote the use it took"
    recorder.flush_all()
    assert PersonalAccessToken.objects.get(pk=token.record.pk).last_used_at == START + timedelta(
        seconds=10
    ), "the use noted meanwhile was written too"
