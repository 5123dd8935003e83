"""The client address: the peer's, or what trusted proxies report in X-Forwarded-For.

Only entries that trusted proxies appended are believed; whatever a client writes in the
header itself is never the answer.
"""

from __future__ import annotations

import pytest
from django.test import RequestFactory
from rest_framework.request import Request

from tests.conftest import basic_header
from tests.lockout import ADDRESS_LIMIT, WINDOW, locked_body, stopped_clock, use_small_limits
from tokenward.audit.models import AuditEvent
from tokenward.audit.services import ClientInfo
from tokenward.authn import client
from tokenward.authn.basic_cache import verified_passwords
from tokenward.authn.client import MAX_FORWARDED_HOPS, client_info

PROXY = "10.0.0.5"  # the TLS proxy in front of the server
BALANCER = "10.1.0.7"  # a load balancer between the proxy and the server
CLIENT = "203.0.113.9"
OTHER_CLIENT = "198.51.100.20"
FORGED = "192.0.2.66"  # what a client writes in the header to pass for someone else


def trust(settings, *entries: str) -> None:
    settings.TOKENWARD = {**settings.TOKENWARD, "TRUSTED_PROXIES": list(entries)}


def address_of(peer: str, forwarded_for: str | None = None) -> str | None:
    """Return the client address that ``client_info`` records for this peer and header."""
    extra = {"REMOTE_ADDR": peer}
    if forwarded_for is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded_for
    request = RequestFactory().get("/api/users/me", **extra)
    return client_info(request, "bearer", with_origin=False).address


def test_by_default_the_header_is_ignored_and_the_peer_is_the_client():
    assert address_of(CLIENT, forwarded_for=FORGED) == CLIENT


def test_an_untrusted_peer_cannot_forge_its_address(settings):
    trust(settings, PROXY)

    assert address_of(CLIENT, forwarded_for=FORGED) == CLIENT
    assert address_of(CLIENT, forwarded_for=f"{FORGED}, {PROXY}") == CLIENT


def test_behind_a_trusted_proxy_the_client_is_the_address_the_proxy_appended(settings):
    trust(settings, PROXY)

    assert address_of(PROXY, forwarded_for=CLIENT) == CLIENT


def test_entries_a_client_put_on_the_left_are_never_reached(settings):
    trust(settings, PROXY)

    assert address_of(PROXY, forwarded_for=f"{FORGED}, {CLIENT}") == CLIENT
    # Even when the forged entry names a trusted proxy: the walk stops at the client first.
    assert address_of(PROXY, forwarded_for=f"{FORGED}, {PROXY}, {CLIENT}") == CLIENT


def test_a_chain_of_trusted_proxies_is_walked_past_to_the_client(settings):
    trust(settings, PROXY, "10.1.0.0/16")

    assert address_of(BALANCER, forwarded_for=f"{FORGED}, {CLIENT}, {PROXY}") == CLIENT


def test_a_chain_of_trusted_proxies_only_gives_the_innermost_proxys_address(settings):
    trust(settings, PROXY, "10.1.0.0/16")

    assert address_of(BALANCER, forwarded_for=f"{PROXY}") == PROXY
    assert address_of(BALANCER, forwarded_for=f"{BALANCER}, {PROXY}") == BALANCER


@pytest.mark.parametrize(
    ("forwarded_for", "address"),
    [
        ("not-an-address", PROXY),  # a proxy that appends garbage: the proxy itself
        ("unknown", PROXY),  # nginx/squid's word for "I could not tell"
        (f"{CLIENT}:51234", PROXY),  # a port is not an address
        (f"[2001:db8::1]:443, {CLIENT}", CLIENT),  # beyond the client: never reached
        (f"{CLIENT}, junk, {BALANCER}", BALANCER),  # stops at the last trusted hop
        (f"{CLIENT}, , {BALANCER}", BALANCER),  # an empty entry is malformed too
        (f"{CLIENT}, 10.1.0.0/16", PROXY),  # a network is not an address
        ("1" * 5000, PROXY),
    ],
)
def test_a_malformed_entry_ends_the_walk_at_the_last_trusted_hop(settings, forwarded_for, address):
    trust(settings, PROXY, "10.1.0.0/16")

    assert address_of(PROXY, forwarded_for=forwarded_for) == address


@pytest.mark.parametrize("forwarded_for", [None, "", " "])
def test_a_trusted_proxy_without_the_header_is_the_client(settings, forwarded_for):
    trust(settings, PROXY)

    assert address_of(PROXY, forwarded_for=forwarded_for) == PROXY


def test_ipv6_proxies_and_clients(settings):
    trust(settings, "2001:db8:aa::/48")

    assert address_of("2001:db8:aa::1", forwarded_for="2a00:1450::200e") == "2a00:1450::200e"
    assert address_of("2001:db8:aa::1", forwarded_for="2A00:1450:0::200E") == "2a00:1450::200e"
    assert address_of("2001:db8:bb::1", forwarded_for="2a00:1450::200e") == "2001:db8:bb::1"


def test_ipv4_mapped_ipv6_addresses_are_the_ipv4_addresses(settings):
    trust(settings, "10.0.0.0/8")

    # A dual-stack socket reports an IPv4 proxy as ::ffff:a.b.c.d.
    assert address_of(f"::ffff:{PROXY}", forwarded_for=CLIENT) == CLIENT
    assert address_of(PROXY, forwarded_for=f"::ffff:{CLIENT}") == CLIENT
    assert address_of(PROXY, forwarded_for=f"{CLIENT}, ::ffff:{BALANCER}") == CLIENT


def test_the_walk_looks_at_a_bounded_number_of_entries(settings):
    trust(settings, PROXY)
    trusted_hops = [PROXY] * (MAX_FORWARDED_HOPS + 5)

    # The client sits beyond the bound: the answer is a trusted hop, not the leftmost entry.
    assert address_of(PROXY, forwarded_for=", ".join([FORGED, *trusted_hops])) == PROXY
    within = [PROXY] * (MAX_FORWARDED_HOPS - 1)
    assert address_of(PROXY, forwarded_for=", ".join([CLIENT, *within])) == CLIENT


@pytest.mark.parametrize("entries", [["0.0.0.0/0"], ["::/0"], ["proxy.local"], ["10.0.0.5/8"]])
def test_entries_the_checks_refuse_trust_nobody(settings, entries):
    trust(settings, *entries)

    assert address_of(PROXY, forwarded_for=FORGED) == PROXY


def test_a_trusted_proxy_setting_that_is_not_a_list_trusts_nobody(settings):
    settings.TOKENWARD = {**settings.TOKENWARD, "TRUSTED_PROXIES": PROXY}

    assert address_of(PROXY, forwarded_for=FORGED) == PROXY


def test_a_settings_change_is_honoured_at_the_next_request(settings):
    assert address_of(PROXY, forwarded_for=CLIENT) == PROXY

    trust(settings, PROXY)

    assert address_of(PROXY, forwarded_for=CLIENT) == CLIENT


def test_a_drf_request_gives_the_same_client_info(settings):
    trust(settings, PROXY)
    request = RequestFactory().get(
        "/api/users/me",
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=f"{FORGED}, {CLIENT}",
        HTTP_USER_AGENT="curl/8.5",
    )

    info = client_info(Request(request), "basic")

    assert info == ClientInfo(
        method="basic", address=CLIENT, user_agent="curl/8.5", origin="http://testserver"
    )


def test_with_no_trusted_proxy_the_header_is_not_even_looked_at(monkeypatch):
    """The hot path: after the first request has read the (empty) setting, nothing is parsed."""
    calls = []
    real = client._forwarded_address

    def spy(meta, peer):
        calls.append(peer)
        return real(meta, peer)

    monkeypatch.setattr(client, "_forwarded_address", spy)
    address_of(CLIENT, forwarded_for=FORGED)  # the first request reads the setting
    calls.clear()

    for _ in range(3):
        assert address_of(CLIENT, forwarded_for=FORGED) == CLIENT

    assert calls == []


# The lockout counts per real client behind the proxy, not per proxy.

ME = "/api/users/me"


@pytest.fixture
def lockout(settings):
    use_small_limits(settings)
    verified_passwords.clear()
    with stopped_clock():
        yield
    verified_passwords.clear()


def get_me_through_proxy(api, login: str, password: str, client_address: str):
    return api.get(
        ME,
        HTTP_AUTHORIZATION=basic_header(login, password),
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=f"{FORGED}, {client_address}",
    )


@pytest.mark.django_db
def test_behind_a_trusted_proxy_one_guessing_client_is_locked_out_and_its_neighbour_is_not(
    settings, api, member, lockout
):
    trust(settings, PROXY)
    for n in range(ADDRESS_LIMIT):
        guess = get_me_through_proxy(api, f"guess{n}", "not-the-password", CLIENT)
        assert guess.status_code == 401

    refused = get_me_through_proxy(api, member.login, member.raw_password, CLIENT)
    neighbour = get_me_through_proxy(api, member.login, member.raw_password, OTHER_CLIENT)

    assert refused.status_code == 429
    assert refused.json() == locked_body(WINDOW)
    assert refused.headers["Retry-After"] == str(WINDOW)
    assert neighbour.status_code == 200
    assert neighbour.json()["login"] == member.login
    [event] = AuditEvent.objects.filter(reason="too_many_attempts")
    assert (event.subject, event.address) == (member, CLIENT)
    # Every failure is the guessing client's: none the proxy's, none the forged address's.
    assert set(AuditEvent.objects.values_list("address", flat=True)) == {CLIENT}


@pytest.mark.django_db
def test_behind_an_untrusted_proxy_every_client_shares_its_lockout(api, member, lockout):
    """Why TRUSTED_PROXIES exists: without it the proxy's address is every client's."""
    for n in range(ADDRESS_LIMIT):
        assert get_me_through_proxy(api, f"guess{n}", "wrong", CLIENT).status_code == 401

    neighbour = get_me_through_proxy(api, member.login, member.raw_password, OTHER_CLIENT)

    assert neighbour.status_code == 429
    assert neighbour.json() == locked_body(WINDOW)
    [event] = AuditEvent.objects.filter(reason="too_many_attempts")
    assert (event.subject, event.address) == (member, PROXY)
