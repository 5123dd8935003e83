"""JWT signing keys: files of mode 0600, the JWKS, and rotation that keeps old tokens valid."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time

import jwt
import pytest
from rest_framework.test import APIClient

from tests.test_cli import tokenward
from tokenward.audit.services import CLI
from tokenward.credentials import access_jwt, jwt_keys
from tokenward.tokens import offline


@pytest.fixture
def key_folder(tmp_path, monkeypatch):
    """A data folder of this test's own, so rotations do not leak into other tests."""
    monkeypatch.setenv("TOKENWARD_DATA_DIR", str(tmp_path))
    jwt_keys._cache.ring = None
    yield tmp_path / "jwt_keys"
    jwt_keys._cache.ring = None


def test_the_first_key_is_created_private(key_folder):
    ring = jwt_keys.key_ring()

    files = list(key_folder.glob("*.pem"))
    assert [f.stem for f in files] == [ring.signing.kid]
    assert stat.S_IMODE(files[0].stat().st_mode) == 0o600
    assert stat.S_IMODE(key_folder.stat().st_mode) == 0o700


def test_the_jwks_publishes_public_keys_only(key_folder, db):
    kid = jwt_keys.key_ring().signing.kid

    response = APIClient().get("/auth/jwks.json")

    assert response.status_code == 200
    (key,) = response.json()["keys"]
    assert set(key) == {"kty", "use", "alg", "kid", "n", "e"}
    assert (key["kty"], key["use"], key["alg"], key["kid"], key["e"]) == (
        "RSA",
        "sig",
        "RS256",
        kid,
        "AQAB",
    )
    public = jwt.PyJWK(key).key
    assert public.public_numbers() == jwt_keys.key_ring().signing.public.public_numbers()


def test_rotation_signs_with_the_new_key_and_old_tokens_stay_valid(key_folder, member):
    old_kid = jwt_keys.key_ring().signing.kid
    issued = offline.issue_offline_token(member, client=CLI)
    old = offline.refresh_access_token(issued.plaintext, CLI).value

    new_kid, dropped = jwt_keys.rotate()
    new = offline.refresh_access_token(issued.plaintext, CLI).value

    assert dropped == [] and new_kid != old_kid
    assert jwt.get_unverified_header(new)["kid"] == new_kid
    assert access_jwt.decode_access_token(old).subject == str(member.pk)
    assert access_jwt.decode_access_token(new).subject == str(member.pk)
    assert {k["kid"] for k in jwt_keys.jwks()["keys"]} == {old_kid, new_kid}


def test_a_retired_key_is_dropped_once_its_tokens_have_expired(key_folder):
    first = jwt_keys.key_ring().signing
    second, _ = jwt_keys.rotate(now=first.created + 10)

    third, dropped = jwt_keys.rotate(now=first.created + 10 + jwt_keys.RETIRED_KEY_SECONDS + 1)

    assert dropped == [first.kid]
    assert set(jwt_keys.key_ring().by_kid) == {second, third}


def test_a_key_made_by_another_process_is_found_by_its_kid(key_folder, monkeypatch):
    jwt_keys.key_ring()
    monkeypatch.setattr(jwt_keys._cache, "loaded_at", jwt_keys._cache.loaded_at - 2)
    jwt_keys._write_key(key_folder, jwt_keys.key_ring().signing.created + 1)
    newest = sorted(key_folder.glob("*.pem"))[-1].stem

    assert jwt_keys.find_key(newest) is not None


@pytest.mark.live
def test_the_keys_rotate_command(tmp_path):
    first = tokenward(tmp_path, "keys", "rotate")
    second = tokenward(tmp_path, "keys", "rotate")

    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    assert first.stdout.startswith("New signing key ")
    assert len(list((tmp_path / "jwt_keys").glob("*.pem"))) == 2


FIRST_KEY = """
import os, sys, time
from tokenward.credentials import jwt_keys
while time.time() < float(sys.argv[1]):
    time.sleep(0.001)
print(jwt_keys.key_ring().signing.kid)
"""


def test_workers_starting_together_make_one_first_key_and_all_sign_with_it(tmp_path):
    # Six processes ask for the key ring at the same instant on an empty folder, as the
    # workers of a new server minting their first JWTs: one key, the same for all.
    start = time.time() + 3
    environ = {**os.environ, "TOKENWARD_DATA_DIR": str(tmp_path)}
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", FIRST_KEY, str(start)],
            env=environ,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(6)
    ]
    kids = {worker.communicate(timeout=60)[0].strip() for worker in workers}

    files = [f.stem for f in (tmp_path / "jwt_keys").glob("*.pem")]
    assert len(files) == 1
    assert kids == set(files)
