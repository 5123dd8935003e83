"""Cases for the JWT rules: a marked line must be reported, an ok line must not."""

import jwt
from jwt import decode


def read(value: str, key: str) -> list[dict]:
    return [
        # ruleid: jwt-decode-without-algorithms
        jwt.decode(value, key),
        # ruleid: jwt-decode-without-algorithms
        decode(value, key, audience="tokenward"),
        # ruleid: jwt-decode-without-algorithms
        jwt.decode_complete(value, key),
        # ok: jwt-decode-without-algorithms
        jwt.decode(value, key, algorithms=["ES256"], audience="tokenward"),
        # ok: jwt-decode-without-algorithms
        decode(value, key, algorithms=["ES256"]),
        # ruleid: jwt-decode-unverified
        jwt.decode(value, key, algorithms=["ES256"], options={"verify_signature": False}),
    ]
