"""Single sign-on: a header believed only from trusted proxies, for active SSO accounts only."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import BACKEND_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.models import Session
from django.test import Client

from tests.web.conftest import submit_login
from tokenward.tokens.models import PersonalAccessToken

pytestmark = pytest.mark.django_db

ME = "/api/users/me"
TOKENS = "/api/personal-tokens"
PROXY = "10.0.0.5"
STRANGER = "203.0.113.9"
BACKEND = "tokenward.web.sso.SingleSignOnBackend"


@pytest.fixture
def sso_on(settings):
    """Single sign-on through ``X-Remote-User`` from the proxy at ``PROXY``."""
    settings.TOKENWARD = {
        **settings.TOKENWARD,
        "SSO_HEADER": "X-Remote-User",
        "SSO_TRUSTED_PROXIES": [PROXY],
    }
    return settings


@pytest.fixture
def sso_user(make_user):
    return make_user("alice", account_type="sso", password=None, full_name="Alice Liddell")


def via(address: str) -> Client:
    """A browser whose requests arrive from ``address``, with CSRF checks on."""
    return Client(enforce_csrf_checks=True, REMOTE_ADDR=address)


def as_remote(login: str) -> dict[str, str]:
    return {"X-Remote-User": login}


def session_user_id(client: Client) -> str | None:
    """Return the user id stored in the client's session row, or None if there is none."""
    if "sessionid" not in client.cookies:
        return None
    row = Session.objects.filter(session_key=client.cookies["sessionid"].value).first()
    return None if row is None else row.get_decoded().get(SESSION_KEY)


def test_header_from_a_trusted_proxy_logs_the_sso_user_in(sso_on, sso_user):
    browser = via(PROXY)

    response = browser.get("/profile/", headers=as_remote("alice"))

    assert response.status_code == 200
    assert b"alice" in response.content
    session = Session.objects.get(session_key=browser.cookies["sessionid"].value).get_decoded()
    assert session[SESSION_KEY] == str(sso_user.pk)
    assert session[BACKEND_SESSION_KEY] == BACKEND


def test_the_sso_session_authenticates_the_api_as_a_session(sso_on, sso_user):
    browser = via(PROXY)
    browser.get("/profile/", headers=as_remote("alice"))

    response = browser.get(ME)  # the header is not needed any more: the session carries it

    assert response.status_code == 200
    assert response.json()["login"] == "alice"
    assert response.json()["auth_method"] == "session"


def test_login_through_the_header_sends_a_fresh_session_id_and_csrf_token(sso_on, sso_user):
    browser = via(PROXY)
    before = browser.session  # an anonymous session that already exists
    before["visited"] = True
    before.save()
    old_key = browser.cookies["sessionid"].value

    response = browser.get(ME, headers=as_remote("alice"))

    assert response.status_code == 200
    new_key = response.cookies["sessionid"].value
    assert new_key != old_key
    assert not Session.objects.filter(session_key=old_key).exists()
    assert "csrftoken" in response.cookies


@pytest.mark.parametrize("address", [STRANGER, "10.0.0.6", "::1", ""])
def test_header_from_an_untrusted_address_is_ignored(sso_on, sso_user, address):
    browser = via(address)

    response = browser.get(ME, headers=as_remote("alice"))

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert not Session.objects.exists()


def test_header_is_ignored_when_single_sign_on_is_off(settings, sso_user):
    settings.TOKENWARD = {**settings.TOKENWARD, "SSO_HEADER": "", "SSO_TRUSTED_PROXIES": [PROXY]}

    response = via(PROXY).get(ME, headers=as_remote("alice"))

    assert response.status_code == 401
    assert not Session.objects.exists()


def test_header_is_ignored_without_trusted_proxies(settings, sso_user):
    settings.TOKENWARD = {**settings.TOKENWARD, "SSO_HEADER": "X-Remote-User"}

    response = via(PROXY).get(ME, headers=as_remote("alice"))

    assert response.status_code == 401
    assert not Session.objects.exists()


def test_only_the_configured_header_counts(sso_on, sso_user):
    response = via(PROXY).get(ME, headers={"Remote-User": "alice", "X-Forwarded-User": "alice"})

    assert response.status_code == 401
    assert not Session.objects.exists()


def test_a_changed_header_setting_is_read_at_request_time(sso_on, sso_user):
    sso_on.TOKENWARD = {**sso_on.TOKENWARD, "SSO_HEADER": "X-Forwarded-User"}
    browser = via(PROXY)

    assert browser.get(ME, headers=as_remote("alice")).status_code == 401
    response = browser.get(ME, headers={"X-Forwarded-User": "alice"})
    assert response.status_code == 200
    assert response.json()["login"] == "alice"


def test_a_local_account_named_in_the_header_is_not_logged_in(sso_on, member, admin):
    for login in (member.login, admin.login, "System"):
        response = via(PROXY).get(ME, headers=as_remote(login))

        assert response.status_code == 401, login
    assert not Session.objects.exists()


def test_an_inactive_sso_account_is_not_logged_in(sso_on, make_user):
    make_user("bob", account_type="sso", password=None, is_active=False)

    response = via(PROXY).get(ME, headers=as_remote("bob"))

    assert response.status_code == 401
    assert not Session.objects.exists()


def test_an_unknown_login_is_neither_created_nor_logged_in(sso_on, django_user_model):
    users = django_user_model.objects.count()

    response = via(PROXY).get(ME, headers=as_remote("newcomer"))

    assert response.status_code == 401
    assert django_user_model.objects.count() == users
    assert not Session.objects.exists()


@pytest.mark.parametrize(
    ("address", "trusted"),
    [
        ("10.1.2.3", True),
        ("10.1.255.254", True),
        ("10.2.0.1", False),
        ("::ffff:10.1.2.3", True),  # an IPv4 peer on a dual-stack socket
        ("2001:db8:1::7", True),
        ("2001:db8:2::7", False),
    ],
)
def test_trusted_proxies_may_be_cidr_networks(settings, sso_user, address, trusted):
    settings.TOKENWARD = {
        **settings.TOKENWARD,
        "SSO_HEADER": "X-Remote-User",
        "SSO_TRUSTED_PROXIES": ["10.1.0.0/16", "2001:db8:1::/48"],
    }

    response = via(address).get(ME, headers=as_remote("alice"))

    assert response.status_code == (200 if trusted else 401)
    assert Session.objects.exists() is trusted


def test_a_bad_entry_trusts_nobody_and_does_not_break_requests(settings, sso_user):
    settings.TOKENWARD = {
        **settings.TOKENWARD,
        "SSO_HEADER": "X-Remote-User",
        "SSO_TRUSTED_PROXIES": ["not-an-address", "0.0.0.0/0", "::/0"],
    }

    response = via(PROXY).get(ME, headers=as_remote("alice"))

    assert response.status_code == 401
    assert not Session.objects.exists()


def test_a_request_without_the_header_keeps_the_session(sso_on, sso_user):
    browser = via(PROXY)
    browser.get(ME, headers=as_remote("alice"))
    key = browser.cookies["sessionid"].value

    without = browser.get(ME)
    empty = browser.get(ME, headers=as_remote(""))

    assert (without.status_code, empty.status_code) == (200, 200)
    assert browser.cookies["sessionid"].value == key
    assert session_user_id(browser) == str(sso_user.pk)


def test_the_header_naming_someone_else_switches_the_session(sso_on, sso_user, make_user):
    carol = make_user("carol", account_type="sso", password=None)
    browser = via(PROXY)
    browser.get(ME, headers=as_remote("alice"))
    alice_key = browser.cookies["sessionid"].value

    response = browser.get(ME, headers=as_remote("carol"))

    assert response.json()["login"] == "carol"
    assert session_user_id(browser) == str(carol.pk)
    assert not Session.objects.filter(session_key=alice_key).exists()


def test_an_untrusted_header_neither_logs_in_nor_out(sso_on, sso_user, make_user, member):
    make_user("carol", account_type="sso", password=None)
    browser = via(STRANGER)
    submit_login(browser, member.login, member.raw_password)

    response = browser.get(ME, headers=as_remote("carol"))

    assert response.status_code == 200
    assert response.json()["login"] == member.login
    assert session_user_id(browser) == str(member.pk)


def test_a_local_account_named_by_the_proxy_keeps_its_form_session(sso_on, member):
    browser = via(PROXY)
    submit_login(browser, member.login, member.raw_password)

    response = browser.get(ME, headers=as_remote(member.login))

    assert response.status_code == 200
    assert response.json()["login"] == member.login


def test_a_logged_in_sso_user_visiting_the_login_page_goes_to_the_profile(sso_on, sso_user):
    response = via(PROXY).get("/login/", headers=as_remote("alice"))

    assert response.status_code == 302
    assert response["Location"] == "/profile/"


def test_an_sso_user_manages_personal_tokens_with_the_session_and_csrf(sso_on, sso_user):
    browser = via(PROXY)
    browser.get("/profile/", headers=as_remote("alice"))
    csrf = browser.cookies["csrftoken"].value
    body = json.dumps({"name": "laptop"})

    refused = browser.post(TOKENS, body, content_type="application/json")
    created = browser.post(
        TOKENS, body, content_type="application/json", headers={"X-CSRFToken": csrf}
    )
    listed = browser.get(TOKENS)

    assert refused.status_code == 403
    assert refused.json()["detail"].startswith("CSRF Failed")
    assert created.status_code == 201
    assert created.json()["token"].startswith("twp_")
    assert created.json()["owner"] == "alice"
    assert listed.status_code == 200
    assert [token["name"] for token in listed.json()] == ["laptop"]
    assert PersonalAccessToken.objects.get().owner == sso_user
