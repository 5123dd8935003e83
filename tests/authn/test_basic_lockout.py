"""Basic authentication under password guessing: the lockout (429 with ``Retry-After``), and
one answer and one password hash for an unknown login, a wrong password and an inactive user.
"""

from __future__ import annotations

import pytest

from tests.conftest import basic_header
from tests.lockout import (
    ACCOUNT_LIMIT,
    ACCOUNT_TOTAL_LIMIT,
    ADDRESS_LIMIT,
    GUESSES,
    WINDOW,
    guess,
    locked_body,
    use_small_limits,
)
from tokenward.accounts.models import User
from tokenward.audit.models import AuditEvent
from tokenward.authn.basic_cache import verified_passwords

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("small_limits", "hashes")]

ME = "/api/users/me"
REFUSED = {"detail": "Invalid username or password.", "code": "invalid_credentials"}


def get_me(api, login: str, password: str, address: str = "127.0.0.1"):
    return api.get(ME, HTTP_AUTHORIZATION=basic_header(login, password), REMOTE_ADDR=address)


def lockout_events():
    return AuditEvent.objects.filter(reason="too_many_attempts")


def test_the_failure_after_the_limit_is_429_and_the_right_password_is_refused_unhashed(
    api, member, outsider, clock, hashes
):
    for _ in range(ACCOUNT_LIMIT):
        assert get_me(api, member.login, "not-the-password").status_code == 401
    hashes.clear()

    response = get_me(api, member.login, member.raw_password)

    assert response.status_code == 429
    assert response.json() == locked_body(WINDOW)
    assert response.headers["Retry-After"] == str(WINDOW)
    assert member.raw_password not in response.content.decode()
    assert hashes == []  # refused before any hashing
    [event] = lockout_events()
    assert (event.action, event.credential_kind, event.method) == ("failed", "password", "basic")
    assert (event.subject, event.address) == (member, "127.0.0.1")
    assert get_me(api, outsider.login, outsider.raw_password).status_code == 200


def test_the_account_opens_again_when_the_window_ends(api, member, clock):
    for _ in range(ACCOUNT_LIMIT):
        get_me(api, member.login, "not-the-password")

    clock.shift(WINDOW - 20)
    assert get_me(api, member.login, member.raw_password).headers["Retry-After"] == "20"
    clock.shift(20)

    assert get_me(api, member.login, member.raw_password).status_code == 200


def test_a_strangers_full_run_of_guesses_does_not_lock_the_owner_out_from_another_address(
    api, member, clock
):
    stranger, home = "203.0.113.1", "198.51.100.2"
    for _ in range(ACCOUNT_LIMIT):
        assert get_me(api, member.login, "not-the-password", stranger).status_code == 401

    refused = get_me(api, member.login, member.raw_password, stranger)
    owner = get_me(api, member.login, member.raw_password, home)

    assert (refused.status_code, refused.json()) == (429, locked_body(WINDOW))
    assert owner.status_code == 200
    assert owner.json()["login"] == member.login
    [event] = lockout_events()
    assert (event.subject, event.address) == (member, stranger)


def test_guessing_from_many_addresses_stays_bounded_by_the_accounts_total(api, member, clock):
    answers = [
        get_me(api, member.login, "not-the-password", f"203.0.113.{n}").status_code
        for n in range(1, 6)  # five addresses, each with its full run of guesses
        for _ in range(ACCOUNT_LIMIT)
    ]
    owner = get_me(api, member.login, member.raw_password, "198.51.100.2")

    assert answers == [401] * ACCOUNT_TOTAL_LIMIT + [429] * (
        5 * ACCOUNT_LIMIT - ACCOUNT_TOTAL_LIMIT
    )
    assert (owner.status_code, owner.json()) == (429, locked_body(WINDOW))  # now, everywhere


def test_twelve_guesses_at_bob_do_not_pass_because_BOB_logs_in_between(
    api, make_user, settings, clock
):
    use_small_limits(settings, LOCKOUT_ADDRESS_FAILURES=100)  # the account's limit alone
    bob = make_user("bob")
    big_bob = make_user("kept")  # BOB, kept from before logins were folded
    User.objects.filter(pk=big_bob.pk).update(login="BOB", login_key=None)

    answers = []
    for _ in range(6):  # twelve guesses at bob, two at a time, BOB logging in between
        answers += [get_me(api, "bob", "not-the-password").status_code for _ in range(2)]
        assert get_me(api, "BOB", big_bob.raw_password).status_code == 200
        verified_passwords.clear()

    assert answers == [401] * ACCOUNT_LIMIT + [429] * (12 - ACCOUNT_LIMIT)
    assert get_me(api, "bob", bob.raw_password).status_code == 429


def test_one_address_guessing_many_logins_is_locked_out_and_others_are_not(
    api, member, clock, hashes
):
    for n in range(ADDRESS_LIMIT):
        assert get_me(api, f"guess{n}", "whatever-1", address="192.0.2.1").status_code == 401
    hashes.clear()

    refused = get_me(api, member.login, member.raw_password, address="192.0.2.1")
    elsewhere = get_me(api, member.login, member.raw_password, address="198.51.100.2")

    assert refused.status_code == 429
    assert refused.json() == locked_body(WINDOW)
    assert hashes == ["verify"]  # only the request from the other address was checked
    assert elsewhere.status_code == 200
    [event] = lockout_events()
    assert (event.subject, event.address) == (member, "192.0.2.1")


def test_a_right_password_clears_the_accounts_failures(api, member):
    for _ in range(ACCOUNT_LIMIT - 1):
        get_me(api, member.login, "not-the-password")
    assert get_me(api, member.login, member.raw_password).status_code == 200
    verified_passwords.clear()

    for _ in range(ACCOUNT_LIMIT - 1):
        assert get_me(api, member.login, "not-the-password").status_code == 401

    assert get_me(api, member.login, member.raw_password).status_code == 200
    assert not lockout_events().exists()


def test_an_unknown_login_is_locked_out_exactly_as_a_known_one(api, member, clock):
    tries = {"nobody-has-this-login": "192.0.2.1", member.login: "192.0.2.2"}
    for login, address in tries.items():
        for _ in range(ACCOUNT_LIMIT):
            assert get_me(api, login, "not-the-password", address).status_code == 401

    unknown = get_me(api, "nobody-has-this-login", "not-the-password", "192.0.2.1")
    known = get_me(api, member.login, "not-the-password", "192.0.2.2")
    unknown_elsewhere = get_me(api, "nobody-has-this-login", "not-the-password", "198.51.100.2")
    known_elsewhere = get_me(api, member.login, "not-the-password", "198.51.100.3")

    assert known.status_code == 429
    assert (unknown.status_code, unknown.json()) == (known.status_code, known.json())
    assert unknown.headers["Retry-After"] == known.headers["Retry-After"]
    assert unknown_elsewhere.status_code == known_elsewhere.status_code == 401
    assert unknown_elsewhere.json() == known_elsewhere.json()


@pytest.mark.parametrize("case", GUESSES)
def test_unknown_wrong_and_inactive_get_one_answer_and_one_hash(
    case, api, member, inactive, hashes
):
    login, password = guess(case, member, inactive)
    hashes.clear()

    response = get_me(api, login, password)

    assert response.status_code == 401
    assert response.json() == REFUSED
    assert response.headers["WWW-Authenticate"].startswith('Basic realm="tokenward"')
    assert len(hashes) == 1, hashes  # one Argon2 computation, whoever the login names


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/api/v1/Authentication", "application/xml"),  # Targetprocess answers XML
        ("/graphql?query=%7Bme%7Bid%7D%7D", "application/json"),
    ],
)
def test_every_path_behind_basic_answers_the_lockout_in_its_own_format(
    api, member, clock, path, content_type
):
    header = {"HTTP_AUTHORIZATION": basic_header(member.login, "not-the-password")}
    for _ in range(ACCOUNT_LIMIT):
        assert api.get(path, **header).status_code == 401

    response = api.get(path, **header)

    assert response.status_code == 429
    assert response.headers["Retry-After"] == str(WINDOW)
    assert response["Content-Type"].startswith(content_type)
    assert b"too_many_attempts" in response.content
