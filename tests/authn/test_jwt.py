"""JWT access tokens in ``Authorization: Bearer``: the RFC 8725 attack table, and live checks.

Every forged, altered or foreign token is 401 "Invalid token."; an expired one says so in
its challenge. Time is moved with time_machine (the ``clock`` fixture), never slept.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime

import jwt
import pytest
import time_machine
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from rest_framework.test import APIClient

from tokenward.audit.services import ClientInfo
from tokenward.credentials import access_jwt
from tokenward.credentials.jwt_keys import key_ring
from tokenward.tokens import offline

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
CLIENT = ClientInfo(method="test", address="127.0.0.1")
ME = "/api/users/me"
GRAPHQL_ME = {"query": "{ me { login authMethod } }"}


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def offline_token(member):
    return offline.issue_offline_token(member, client=CLIENT)


@pytest.fixture
def access(clock, offline_token):
    return offline.refresh_access_token(offline_token.plaintext, CLIENT).value


def bearer(value: str) -> APIClient:
    client = APIClient(enforce_csrf_checks=True)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {value}")
    return client


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def segment(obj: dict) -> str:
    return b64(json.dumps(obj).encode())


def claims_of(value: str) -> dict:
    return jwt.decode(value, options={"verify_signature": False})


def sign(claims: dict, **header) -> str:
    """Sign with our real key: only the claims or headers make the token bad."""
    key = key_ring().signing
    headers = {"kid": key.kid, "typ": access_jwt.TYPE, **header}
    return jwt.encode(claims, key.private, algorithm="RS256", headers=headers)


def assert_invalid(response, description: str = "Invalid token.") -> None:
    assert response.status_code == 401, response.content
    assert response.json() == {"detail": description, "code": "invalid_token"}
    challenge = response["WWW-Authenticate"]
    assert 'error="invalid_token"' in challenge
    assert f'error_description="{description}"' in challenge


def test_an_access_token_authenticates_with_the_owners_rights(access, member):
    response = bearer(access).get(ME)

    assert response.status_code == 200
    assert response.json()["login"] == member.login


def test_an_access_token_works_on_graphql(access, member):
    response = bearer(access).post("/graphql", GRAPHQL_ME, format="json")

    assert response.status_code == 200
    assert response.json()["data"]["me"] == {"login": member.login, "authMethod": "bearer"}


def test_an_access_token_in_the_query_string_is_refused(access):
    response = APIClient().get(ME, {"access_token": access})

    assert response.status_code == 401


def test_the_claims(access, member, offline_token):
    claims = claims_of(access)
    header = jwt.get_unverified_header(access)

    assert header == {"alg": "RS256", "kid": key_ring().signing.kid, "typ": "at+jwt"}
    assert claims["iss"] == access_jwt.ISSUER and claims["aud"] == access_jwt.AUDIENCE
    assert claims["sub"] == str(member.pk)
    assert claims["sid"] == str(offline_token.record.session_id)
    assert claims["exp"] - claims["iat"] == 3600
    assert claims["typ"] == "at+jwt" and len(claims["jti"]) == 32


def test_alg_none_is_refused(access):
    claims = claims_of(access)
    forged = f"{segment({'alg': 'none', 'typ': 'at+jwt'})}.{segment(claims)}."

    assert_invalid(bearer(forged).get(ME))


def test_hs256_signed_with_the_public_key_is_refused(access):
    key = key_ring().signing
    pem = key.public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    head = segment({"alg": "HS256", "typ": "at+jwt", "kid": key.kid})
    body = f"{head}.{segment(claims_of(access))}"
    mac = hmac.new(pem, body.encode(), hashlib.sha256).digest()

    assert_invalid(bearer(f"{body}.{b64(mac)}").get(ME))


@pytest.mark.parametrize(
    "change",
    [
        {"aud": "someone-else"},
        {"aud": ["someone-else", access_jwt.AUDIENCE]},
        {"iss": "https://evil.example"},
        {"typ": "Bearer"},
        {"sub": None},
        {"iat": None},
        {"sid": None},
        {"nbf": "future"},
    ],
    ids=["aud", "aud-list", "iss", "typ", "no-sub", "no-iat", "no-sid", "nbf-future"],
)
def test_wrong_or_missing_claims_are_refused(access, change):
    claims = claims_of(access)
    for name, value in change.items():
        if value is None:
            del claims[name]
        elif value == "future":
            claims[name] = claims["iat"] + 600
        else:
            claims[name] = value

    assert_invalid(bearer(sign(claims)).get(ME))


@pytest.mark.parametrize("typ", ["JWT", None])
def test_a_header_typ_other_than_at_jwt_is_refused(access, typ):
    key = key_ring().signing
    headers = {"kid": key.kid} if typ is None else {"kid": key.kid, "typ": typ}
    token = jwt.encode(claims_of(access), key.private, algorithm="RS256", headers=headers)

    assert_invalid(bearer(token).get(ME))


def test_a_tampered_payload_is_refused(access, admin):
    head, _, sig = access.split(".")
    claims = {**claims_of(access), "sub": str(admin.pk)}

    assert_invalid(bearer(f"{head}.{segment(claims)}.{sig}").get(ME))


def test_a_changed_signature_is_refused(access):
    head, body, sig = access.split(".")
    flipped = sig[:-2] + ("AA" if sig[-2:] != "AA" else "BB")

    assert_invalid(bearer(f"{head}.{body}.{flipped}").get(ME))


def attacker_key():
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = private.public_key().public_numbers()
    jwk = {
        "kty": "RSA",
        "n": b64(public.n.to_bytes(256, "big")),
        "e": b64(public.e.to_bytes(3, "big")),
    }
    return private, jwk


@pytest.mark.parametrize("injected", ["jwk", "jku", "x5u", "unknown-kid"])
def test_injected_key_headers_are_ignored(access, injected):
    private, jwk = attacker_key()
    ours = key_ring().signing.kid
    headers = {
        "jwk": {"typ": "at+jwt", "kid": ours, "jwk": {**jwk, "kid": ours}},
        "jku": {"typ": "at+jwt", "kid": ours, "jku": "https://evil.example/jwks.json"},
        "x5u": {"typ": "at+jwt", "kid": ours, "x5u": "https://evil.example/cert.pem"},
        "unknown-kid": {"typ": "at+jwt", "kid": "attacker-1"},
    }[injected]
    token = jwt.encode(claims_of(access), private, algorithm="RS256", headers=headers)

    assert_invalid(bearer(token).get(ME))


def test_a_kid_that_is_not_a_string_is_refused(access):
    _, body, sig = access.split(".")
    head = segment({"alg": "RS256", "typ": "at+jwt", "kid": [key_ring().signing.kid]})

    assert_invalid(bearer(f"{head}.{body}.{sig}").get(ME))


def test_a_token_from_another_servers_key_with_our_kid_is_refused(access):
    private, _ = attacker_key()
    token = jwt.encode(
        claims_of(access),
        private,
        algorithm="RS256",
        headers={"kid": key_ring().signing.kid, "typ": "at+jwt"},
    )

    assert_invalid(bearer(token).get(ME))


@pytest.mark.parametrize(
    "value", ["eyJ.b.c", "eyJ..", "eyJ" + "x" * 50 + ".y.z", "eyJhbGciOiJSUzI1NiJ9.@.!"]
)
def test_garbage_shaped_like_a_jwt_is_invalid_not_a_server_error(value):
    assert_invalid(bearer(value).get(ME))


@pytest.mark.parametrize("value", ["a.b.c", ".."])
def test_dotted_values_that_are_no_jwt_are_malformed(value):
    response = bearer(value).get(ME)

    assert response.status_code == 401
    assert response.json()["code"] == "malformed_token"


def test_an_offline_token_is_not_an_access_token(offline_token):
    response = bearer(offline_token.plaintext).get(ME)

    assert response.status_code == 401


def test_expiry_within_the_leeway_is_accepted(clock, access):
    clock.shift(3600 + 59)

    assert bearer(access).get(ME).status_code == 200


def test_expiry_beyond_the_leeway_is_refused_with_its_description(clock, access):
    clock.shift(3600 + 61)
    response = bearer(access).get(ME)

    assert response.status_code == 401
    assert response.json() == {"detail": "The access token expired", "code": "token_expired"}
    assert response["WWW-Authenticate"] == (
        'Bearer realm="tokenward", error="invalid_token", '
        'error_description="The access token expired"'
    )


def test_personal_tokens_still_work_in_bearer(make_token, member):
    response = bearer(make_token(member).plaintext).get(ME)

    assert response.status_code == 200
