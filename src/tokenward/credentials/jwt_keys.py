"""The RS256 key pairs that sign JWT access tokens: files in the data folder, parsed once.

RS256 because it verifies fastest here (``bench/jwt_algorithms.py``: about 130 µs per
PyJWT decode against about 200 µs for ES256 and EdDSA); verification is the hot path, a
signature is made once per refresh. Each key is ``jwt_keys/<kid>.pem`` (mode 0600); the
newest signs, every kept key verifies. ``rotate()`` adds a key and drops those whose
tokens have all expired.
"""

from __future__ import annotations

import base64
import fcntl
import itertools
import os
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tokenward.datadir import data_dir

ALGORITHM = "RS256"
KEY_SIZE = 2048
# How long a signing key must still verify after a newer one replaced it: the access
# token lifetime and the clock leeway, with a margin.
RETIRED_KEY_SECONDS = 3600 + 60 + 300
# Another server's rotation is picked up within this many seconds.
RELOAD_SECONDS = 30


@dataclass(frozen=True)
class SigningKey:
    """One key pair: ``kid`` names it in token headers and the JWKS."""

    kid: str
    created: int  # epoch seconds, from the kid
    private: rsa.RSAPrivateKey
    public: rsa.RSAPublicKey


@dataclass(frozen=True)
class KeyRing:
    """The newest key signs; every key verifies, found by kid alone."""

    signing: SigningKey
    by_kid: dict[str, SigningKey]


def keys_dir() -> Path:
    """Return the folder of key files, created (mode 0700) if missing."""
    path = data_dir() / "jwt_keys"
    path.mkdir(mode=0o700, exist_ok=True)
    return path


def _new_kid(now: float) -> str:
    return f"{int(now)}-{secrets.token_hex(4)}"


def _write_key(folder: Path, now: float) -> None:
    private = rsa.generate_private_key(public_exponent=65537, key_size=KEY_SIZE)
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    kid = _new_kid(now)
    tmp = folder / f".{kid}.{os.getpid()}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    os.replace(tmp, folder / f"{kid}.pem")


def _read_keys(folder: Path) -> list[SigningKey]:
    keys = []
    for path in folder.glob("*.pem"):
        kid = path.stem
        private = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(private, rsa.RSAPrivateKey):
            continue
        keys.append(SigningKey(kid, int(kid.split("-")[0]), private, private.public_key()))
    return sorted(keys, key=lambda k: (k.created, k.kid))


def _create_first_key(folder: Path) -> list[SigningKey]:
    """Write the first key unless another process just did; return the keys.

    Every worker of a new server may mint its first JWT at the same moment: without the
    lock each would write a key of its own and sign with it, and the others, which read
    the folder a moment earlier, would refuse those tokens until they read it again.
    """
    with open(folder / ".first-key.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            keys = _read_keys(folder)
            if not keys:
                _write_key(folder, time.time())
                keys = _read_keys(folder)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return keys


class _Cache:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.ring: KeyRing | None = None
        self.loaded_at = 0.0


_cache = _Cache()


def key_ring(*, force: bool = False) -> KeyRing:
    """Return the key ring, creating the first key if there is none.

    Read from disk at most every ``RELOAD_SECONDS`` (or at once with ``force``).
    """
    now = time.monotonic()
    ring = _cache.ring
    if ring is not None and not force and now - _cache.loaded_at < RELOAD_SECONDS:
        return ring
    with _cache.lock:
        folder = keys_dir()
        keys = _read_keys(folder) or _create_first_key(folder)
        ring = KeyRing(signing=keys[-1], by_kid={k.kid: k for k in keys})
        _cache.ring, _cache.loaded_at = ring, now
        return ring


def find_key(kid: str) -> SigningKey | None:
    """Return our key named ``kid``, or None. An unknown kid rereads the folder at most once
    a second, so a key another server just made verifies here too."""
    ring = key_ring()
    key = ring.by_kid.get(kid)
    if key is None and time.monotonic() - _cache.loaded_at >= 1:
        key = key_ring(force=True).by_kid.get(kid)
    return key


def rotate(now: float | None = None) -> tuple[str, list[str]]:
    """Add a new signing key; drop keys retired longer than ``RETIRED_KEY_SECONDS``.

    Return the new kid and the kids dropped. A key is retired when a newer one exists.
    """
    now = time.time() if now is None else now
    folder = keys_dir()
    existing = _read_keys(folder)
    # Kids order keys by creation second: a key made within the same second comes later.
    _write_key(folder, max(now, existing[-1].created + 1) if existing else now)
    keys = _read_keys(folder)
    dropped = []
    for older, newer in itertools.pairwise(keys):
        if now - newer.created > RETIRED_KEY_SECONDS:
            (folder / f"{older.kid}.pem").unlink(missing_ok=True)
            dropped.append(older.kid)
    key_ring(force=True)
    return keys[-1].kid, dropped


def _b64(number: int) -> str:
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def jwks() -> dict[str, list[dict[str, str]]]:
    """Return the public keys as an RFC 7517 JWK Set (never a private part)."""
    keys = []
    for key in key_ring().by_kid.values():
        numbers = key.public.public_numbers()
        keys.append(
            {
                "kty": "RSA",
                "use": "sig",
                "alg": ALGORITHM,
                "kid": key.kid,
                "n": _b64(numbers.n),
                "e": _b64(numbers.e),
            }
        )
    return {"keys": keys}
