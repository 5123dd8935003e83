"""Time one JWT verification with PyJWT for RS256, ES256 and EdDSA: which key tokenward signs with.

Run: ``.venv/bin/python -m bench.jwt_algorithms``. Keys are pre-parsed objects, as in the
server; the token carries the claims tokenward mints. Prints microseconds per verify and sign.
"""

from __future__ import annotations

import time

import jwt
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa

ROUNDS = 5
PER_ROUND = 2000
CLAIMS = {
    "iss": "https://tokenward.example",
    "aud": "tokenward",
    "sub": "42",
    "iat": int(time.time()),
    "exp": int(time.time()) + 3600,
    "jti": "0f4c7e0a9d3b4c1e8a2f6b5d7c9e1a3b",
    "typ": "at+jwt",
    "sid": 7,
}


def _keys() -> dict[str, object]:
    return {
        "RS256": rsa.generate_private_key(public_exponent=65537, key_size=2048),
        "ES256": ec.generate_private_key(ec.SECP256R1()),
        "EdDSA": ed25519.Ed25519PrivateKey.generate(),
    }


def _best_us(action, n: int) -> float:
    best = float("inf")
    for _ in range(ROUNDS):
        start = time.perf_counter()
        for _ in range(n):
            action()
        best = min(best, (time.perf_counter() - start) / n)
    return best * 1e6


def _raw_verifier(alg: str, private, message: bytes):
    """The signature check alone, without PyJWT's parsing and claim checks."""
    if alg == "RS256":
        args = (padding.PKCS1v15(), hashes.SHA256())
        signature, public = private.sign(message, *args), private.public_key()
        return lambda: public.verify(signature, message, *args)
    if alg == "ES256":
        signature = private.sign(message, ec.ECDSA(hashes.SHA256()))
        public = private.public_key()
        return lambda: public.verify(signature, message, ec.ECDSA(hashes.SHA256()))
    signature, public = private.sign(message), private.public_key()
    return lambda: public.verify(signature, message)


def main() -> None:
    print(f"{'alg':6} {'verify µs':>10} {'raw µs':>8} {'sign µs':>10} {'token bytes':>12}")
    for alg, private in _keys().items():
        public = private.public_key()
        token = jwt.encode(CLAIMS, private, algorithm=alg, headers={"kid": "k1"})

        def verify(token=token, public=public, alg=alg) -> None:
            jwt.decode(token, public, algorithms=[alg], audience="tokenward")

        def sign(private=private, alg=alg) -> None:
            jwt.encode(CLAIMS, private, algorithm=alg, headers={"kid": "k1"})

        verify_us = _best_us(verify, PER_ROUND)
        raw_us = _best_us(_raw_verifier(alg, private, token.rsplit(".", 1)[0].encode()), PER_ROUND)
        sign_us = _best_us(sign, PER_ROUND // 10 if alg == "RS256" else PER_ROUND)
        print(f"{alg:6} {verify_us:10.1f} {raw_us:8.1f} {sign_us:10.1f} {len(token):12d}")


if __name__ == "__main__":
    main()
