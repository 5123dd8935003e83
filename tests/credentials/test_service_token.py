"""Service token strings: signed tokens parse back; anything else is refused for a reason."""

from __future__ import annotations

import base64
import secrets

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tokenward.credentials.format import MalformedTokenError
from tokenward.credentials.service_token import (
    MAX_TOKEN_LENGTH,
    SIGNATURE_LENGTH,
    parse_service_token,
    service_token_key,
    sign_service_token,
    signature,
    signatures_match,
)

# The seed's example: <Authentication Token="YWRtaW46OTRDRDg2Qzg1NjgzQUZDMzg3Qjg2QTVERTAxRTZEQzY="/>
SEED_EXAMPLE = "YWRtaW46OTRDRDg2Qzg1NjgzQUZDMzg3Qjg2QTVERTAxRTZEQzY="


@pytest.fixture
def key() -> bytes:
    return service_token_key(secrets.token_urlsafe(32))


def encode(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def hex_signature() -> str:
    return secrets.token_hex(32).upper()


def test_a_signed_token_parses_back_to_its_login_and_signature(key):
    password_hash = f"argon2$argon2id${secrets.token_urlsafe(16)}"

    value = sign_service_token(7, "mwhite", password_hash, key)
    login, given_signature = parse_service_token(value)

    assert login == "mwhite"
    assert given_signature == signature(7, "mwhite", password_hash, key)
    assert len(given_signature) == SIGNATURE_LENGTH
    assert signatures_match(signature(7, "mwhite", password_hash, key), given_signature)


def test_a_token_has_the_seed_examples_shape(key):
    value = sign_service_token(1, "admin", f"hash-{secrets.token_hex(8)}", key)

    decoded = base64.b64decode(value, validate=True).decode()
    seed_decoded = base64.b64decode(SEED_EXAMPLE, validate=True).decode()
    for text in (decoded, seed_decoded):
        login, colon, sig = text.partition(":")
        assert (login, colon) == ("admin", ":")
        assert sig == sig.upper() and int(sig, 16) >= 0
    assert value.startswith(SEED_EXAMPLE[:8])  # base64 of "admin:" begins alike


def test_the_seed_example_itself_is_refused_for_its_short_signature():
    # Its 32-digit signature is the original product's, not tokenward's HMAC-SHA256.
    with pytest.raises(MalformedTokenError, match="64 upper-case hex digits"):
        parse_service_token(SEED_EXAMPLE)


def test_a_utf8_login_round_trips(key):
    value = sign_service_token(3, "zoë", "hash", key)

    assert parse_service_token(value)[0] == "zoë"


@pytest.mark.parametrize(
    ("change", "args"),
    [
        ("user id", (8, "mwhite", "hash")),
        ("login", (7, "mwhite2", "hash")),
        ("password hash", (7, "mwhite", "hash2")),
    ],
)
def test_the_signature_changes_with_id_login_and_password_hash(key, change, args):
    assert signature(*args, key) != signature(7, "mwhite", "hash", key), change


def test_the_parts_are_joined_unambiguously(key):
    # "1" + "2x" and "12" + "x" must not sign the same message.
    assert signature(1, "2x", "h", key) != signature(12, "x", "h", key)
    assert signature(1, "a", "bc", key) != signature(1, "ab", "c", key)


def test_the_key_is_derived_and_differs_from_the_digest_key():
    digest_key = secrets.token_urlsafe(32)

    derived = service_token_key(digest_key)

    assert derived != digest_key.encode()
    assert derived == service_token_key(digest_key)
    assert derived != service_token_key(digest_key + "x")


def test_another_key_gives_another_signature():
    one, other = service_token_key("one"), service_token_key("other")

    assert sign_service_token(1, "a", "h", one) != sign_service_token(1, "a", "h", other)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: "", "No token was given."),
        (lambda: "not base64!", "base64 with padding"),
        (lambda: encode(f"admin:{hex_signature()}").rstrip("="), "base64 with padding"),
        (lambda: "_" + encode(f"admin:{hex_signature()}")[1:], "base64 with padding"),
        (lambda: " " + encode(f"admin:{hex_signature()}"), "base64 with padding"),
        (lambda: "YR==", "base64 with padding"),  # decodes like YQ== ("a"): not canonical
        (lambda: "é" + encode("admin:x"), "base64 with padding"),
        (lambda: base64.b64encode(b"admin:\xff\xfe").decode(), "UTF-8 text"),
        (lambda: encode("admin" + hex_signature()), "a login, a colon and a signature"),
        (lambda: encode(f":{hex_signature()}"), "login is not a login"),
        (lambda: encode(f"ad\x00min:{hex_signature()}"), "login is not a login"),
        (lambda: encode(f"{'a' * 151}:{hex_signature()}"), "login is not a login"),
        (lambda: encode(f"admin:{hex_signature().lower()}"), "upper-case hex"),
        (lambda: encode(f"admin:{hex_signature()[:-1]}"), "upper-case hex"),
        (lambda: encode(f"admin:{hex_signature()}0"), "upper-case hex"),
        (lambda: encode(f"admin:{hex_signature()[:-1]}G"), "upper-case hex"),
        (lambda: encode(f"admin:x:{hex_signature()}"), "upper-case hex"),
        (lambda: "A" * (MAX_TOKEN_LENGTH + 4), "at most"),
    ],
    ids=[
        "empty",
        "not-base64",
        "no-padding",
        "url-safe-alphabet",
        "leading-space",
        "non-canonical",
        "non-ascii",
        "not-utf8",
        "no-colon",
        "empty-login",
        "control-character",
        "login-too-long",
        "lower-case-signature",
        "short-signature",
        "long-signature",
        "non-hex-signature",
        "two-colons",
        "over-long",
    ],
)
def test_a_malformed_token_is_refused_with_a_sentence(make, message):
    with pytest.raises(MalformedTokenError, match=message) as caught:
        parse_service_token(make())

    assert str(caught.value).endswith(".")


def test_the_longest_login_fits_within_the_length_limit(key):
    value = sign_service_token(1, "\U0001f511" * 150, "hash", key)

    assert len(value) == MAX_TOKEN_LENGTH
    assert parse_service_token(value)[0] == "\U0001f511" * 150


@given(st.text(max_size=200))
def test_the_parser_never_fails_otherwise_on_arbitrary_text(text):
    try:
        login, sig = parse_service_token(text)
    except MalformedTokenError as error:
        assert str(error).endswith(".")
    else:
        assert base64.b64decode(text, validate=True).decode() == f"{login}:{sig}"


@given(st.binary(max_size=300))
def test_the_parser_never_fails_otherwise_on_arbitrary_base64(raw):
    text = base64.b64encode(raw).decode()
    try:
        login, sig = parse_service_token(text)
    except MalformedTokenError as error:
        assert str(error).endswith(".")
    else:
        assert raw == f"{login}:{sig}".encode()


@given(st.text(min_size=1, max_size=150).filter(lambda s: ":" not in s and s.isprintable()))
def test_every_printable_login_without_a_colon_round_trips(login):
    key = service_token_key("hypothesis")

    value = sign_service_token(1, login, "hash", key)

    assert parse_service_token(value) == (login, signature(1, login, "hash", key))
