"""Redirect URIs that a browser and Python's urllib read alike (WHATWG URL versus urlsplit)."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st
from oauth2_provider.models import Application, Grant

from tests.oauth.conftest import REDIRECT_URI, authorize_query, pkce_pair
from tokenward.oauth.redirects import RedirectUriError, check_redirect_uri, is_unambiguous

# Each: a URI that urllib and a browser may read differently, and why.
REFUSED = [
    ("http://evil.com\\@127.0.0.1/cb", "a browser reads \\ as /: host evil.com"),
    ("http://127.0.0.1\\@evil.com/cb", "backslash before userinfo"),
    ("https://evil.com\\.good.com/cb", "backslash in the host"),
    ("https://good.com\\..\\cb", "backslash in the path"),
    ("http://evil.com@127.0.0.1/cb", "userinfo"),
    ("https://user:pass@good.com/cb", "userinfo with a password"),
    ("https://good.com@evil.com/cb", "userinfo naming another host"),
    ("https://good.com%40evil.com/cb", "percent-encoded @ in the host"),
    ("https://evil.com%2F.good.com/cb", "percent-encoded / in the host"),
    ("https://evil.com%2f@good.com/cb", "percent-encoded / before userinfo"),
    ("https://good%2Ecom/cb", "percent-encoded dot"),
    ("https://[::1%25eth0]/cb", "IPv6 zone"),
    ("http:evil.com/cb", "no slashes: a browser reads evil.com as the host"),
    ("http:/evil.com/cb", "one slash"),
    ("http:///evil.com/cb", "three slashes"),
    ("http:\\\\evil.com/cb", "backslashes for slashes"),
    ("//evil.com/cb", "scheme-relative"),
    ("/cb", "relative"),
    ("evil.com/cb", "no scheme"),
    ("HTTPS://good.com/cb", "upper-case scheme"),
    ("Https://good.com/cb", "mixed-case scheme"),
    ("https://GOOD.com/cb", "upper-case host"),
    ("https://good.com./cb", "trailing dot"),
    ("https://.good.com/cb", "empty label"),
    ("https://-good.com/cb", "label starting with a hyphen"),
    ("https://good_name.com/cb", "underscore"),
    (" https://good.com/cb", "leading space"),
    ("https://good.com/cb ", "trailing space"),
    ("\x00https://good.com/cb", "leading C0 control"),
    ("https://good.com/cb\x1f", "trailing C0 control"),
    ("https://go\tod.com/cb", "tab in the host, stripped by browsers"),
    ("https://good.com\n.evil.com/cb", "newline in the host"),
    ("https://good.com/c\rb", "carriage return"),
    ("https://good.com/cb\x7f", "DEL"),
    ("https://good.com/c b", "space in the path"),
    ("https://\uff47\uff4f\uff4f\uff44.com/cb", "fullwidth letters, IDNA-mapped by browsers"),
    ("https://good。com/cb", "ideographic full stop, a dot to browsers"),
    ("https://bücher.example/cb", "IDN host not in xn-- form"),
    ("https://good.com\uff0fevil/cb", "fullwidth solidus"),
    ("https://g\u043e\u043ed.com/cb", "Cyrillic o"),
    ("https://good.com\u200b/cb", "zero-width space"),
    ("http://0x7f.1/cb", "hexadecimal IPv4: 127.0.0.1 to a browser"),
    ("http://0x7f000001/cb", "one hexadecimal number"),
    ("http://2130706433/cb", "one decimal number"),
    ("http://127.1/cb", "short IPv4"),
    ("http://0177.0.0.1/cb", "octal IPv4"),
    ("http://127.000.000.001/cb", "zero-padded IPv4"),
    ("https://evil.0x7f/cb", "last label a number: an IPv4 failure to a browser"),
    ("https://good.com.1/cb", "last label decimal"),
    ("http://256.0.0.1/cb", "IPv4 out of range"),
    ("http://[0:0:0:0:0:0:0:1]/cb", "IPv6 not in its shortest form"),
    ("http://[::FFFF:7f00:1]/cb", "IPv6 upper case"),
    ("http://[::1/cb", "unclosed bracket"),
    ("http://[::1]x/cb", "text after the bracket"),
    ("http://[not-v6]/cb", "not IPv6"),
    ("https://good.com:/cb", "empty port"),
    ("https://good.com:08443/cb", "port with a leading zero"),
    ("https://good.com:0/cb", "port zero"),
    ("https://good.com:65536/cb", "port out of range"),
    ("https://good.com:443:444/cb", "two ports"),
    ("https://good.com:x/cb", "port not a number"),
    ("https://good.com/cb#frag", "fragment"),
    ("https://good.com/cb#", "empty fragment"),
    ("https://good.com/a/../cb", "dot-dot segment"),
    ("https://good.com/a/%2e%2e/cb", "percent-encoded dot-dot segment"),
    ("https://good.com/./cb", "dot segment"),
    ("https://good.com/cb/..", "trailing dot-dot"),
    ("https://", "no host"),
    ("", "empty"),
    ("x", "no scheme at all"),
    ("1http://good.com/cb", "scheme starting with a digit"),
]

ACCEPTED = [
    "https://good.com/cb",
    "https://good.com",
    "https://good.com/",
    "https://good.com?x=1",
    "https://app.good-name.example/oauth/callback?tenant=7&x=%2F",
    "https://xn--bcher-kva.example/cb",
    "https://good.com:8443/cb",
    "https://good.com:443/cb",
    "http://127.0.0.1:8765/callback",
    "http://127.0.0.1/cb",
    "http://[::1]:9000/cb",
    "http://[::ffff:7f00:1]/cb",
    "http://localhost/cb",
    "https://203.0.113.7/cb",
    "https://good.com/a..b/c.d/.well-known/cb",
    "https://good.com/cb?next=../x",
    "com.example.app:/oauth2redirect",
    "com.example.app://callback/path",
]


@pytest.mark.parametrize(("uri", "why"), REFUSED)
def test_a_redirect_uri_a_browser_may_read_differently_is_refused(uri, why):
    with pytest.raises(RedirectUriError) as refused:
        check_redirect_uri(uri)

    message = str(refused.value)
    assert message.endswith(".") and message[0].isupper()
    if len(uri) > 2:
        assert uri not in message


@pytest.mark.parametrize("uri", ACCEPTED)
def test_a_redirect_uri_read_alike_is_accepted(uri):
    check_redirect_uri(uri)

    assert is_unambiguous(uri)


def browser_preprocessing(uri: str) -> str:
    """What a WHATWG parser does to a string before it splits it (special schemes)."""
    uri = uri.strip("".join(chr(c) for c in range(0x21)))
    uri = uri.replace("\t", "").replace("\n", "").replace("\r", "")
    return uri.replace("\\", "/")


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=40))
def test_no_accepted_uri_is_changed_by_what_a_browser_does_first(tail):
    for uri in (f"https://good.com{tail}", f"https://{tail}", f"http://127.0.0.1{tail}", tail):
        if is_unambiguous(uri):
            assert browser_preprocessing(uri) == uri
            parts = urlsplit(uri)
            assert "@" not in parts.netloc and "%" not in parts.netloc
            if parts.scheme in ("http", "https"):
                authority = uri.removeprefix(f"{parts.scheme}://").split("/")[0].split("?")[0]
                assert authority == parts.netloc
                if authority.startswith("["):
                    host = authority.partition("]")[0] + "]"
                else:
                    host = authority.partition(":")[0]
                assert parts.hostname == host.strip("[]")


@given(
    st.sampled_from(["http://127.0.0.1", "https://good.com", "https://[::1]"]),
    st.sampled_from(
        ["\\", "@", "%", "\t", "\n", " ", "\x00", "\x7f", "\uff20", "\uff0f", "#", "é"]
    ),
    st.text(alphabet="abc./:@\\%", max_size=12),
)
def test_any_uri_with_an_ambiguous_character_in_its_authority_is_refused(base, bad, rest):
    scheme, _slashes, host = base.partition("://")
    assert not is_unambiguous(f"{scheme}://{bad}{rest}{host}/cb")
    assert not is_unambiguous(f"{scheme}://{host}{bad}{rest}/cb")


# --- at authorization time -------------------------------------------------------------


def authorize_with(member, app, redirect_uri: str | None):
    browser = Client()
    browser.force_login(member)
    _verifier, challenge = pkce_pair()
    query = authorize_query(app, challenge, redirect_uri=redirect_uri or "")
    if redirect_uri is None:
        query = query.replace("&redirect_uri=&", "&")
        assert "redirect_uri" not in query
    return browser.get(query)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "legacy",
    [
        "https://\uff47\uff4f\uff4f\uff44.example/cb",
        "https://evil.example%2F.good.example/cb",
        "http://0x7f.1/cb",
    ],
)
def test_authorization_refuses_an_ambiguous_redirect_uri_registered_before_the_rule(
    make_app, member, legacy
):
    app = make_app()
    Application.objects.filter(pk=app.application.pk).update(redirect_uris=legacy)

    reply = authorize_with(member, app, legacy)
    unnamed = authorize_with(member, app, None)  # DOT would use the first registered URI

    assert reply.status_code == unnamed.status_code == 400
    assert "Location" not in unnamed
    assert "Location" not in reply
    assert "cannot be granted" in reply.content.decode()
    assert not Grant.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "requested",
    [
        REDIRECT_URI.replace("//", "//evil.com\\@"),
        REDIRECT_URI.replace("//", "//evil.com@"),
        REDIRECT_URI.replace("127.0.0.1", "0x7f.1"),
        REDIRECT_URI.replace("http://", "http:"),
        REDIRECT_URI.replace("http", "HTTP"),
        REDIRECT_URI + "#x",
        " " + REDIRECT_URI,
        REDIRECT_URI.replace("127.0.0.1", "127.0.0.1%2F@evil.com"),
    ],
)
def test_authorization_refuses_a_redirect_uri_a_browser_reads_differently(
    make_app, member, requested
):
    app = make_app()

    reply = authorize_with(member, app, requested)

    assert reply.status_code == 400
    assert "Location" not in reply
    assert not Grant.objects.exists()
