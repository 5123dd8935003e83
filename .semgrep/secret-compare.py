"""Cases for secret-compared-with-equals: a marked line must be reported, an ok line must not."""

import hashlib
import hmac

from django.conf import settings

from tokenward.errors import ErrorCode


def check(token: str, given: str, access_token: str, password: str, app, tok) -> list[bool]:
    return [
        # ruleid: secret-compared-with-equals
        token == given,
        # ruleid: secret-compared-with-equals
        given != access_token,
        # ruleid: secret-compared-with-equals
        app.client_secret == given,
        # ruleid: secret-compared-with-equals
        password == "hunter2",  # noqa: S105  (the case under test)
        # ruleid: secret-compared-with-equals
        hmac.new(b"k", b"m", hashlib.sha256).hexdigest() == given,
        # ruleid: secret-compared-with-equals
        tok.digest == given,
        # ruleid: secret-compared-with-equals
        given == tok._refresh_token,
        # ruleid: secret-compared-with-equals
        tok.signature != given,
        # ruleid: secret-compared-with-equals
        given == settings.SECRET_KEY,
        # ok: secret-compared-with-equals
        tok.code != ErrorCode.INVALID_TOKEN,
        # ok: secret-compared-with-equals
        hmac.compare_digest(token, given),
        # ok: secret-compared-with-equals
        tok.token_type == "Bearer",  # noqa: S105  (a token type)
        # ok: secret-compared-with-equals
        tok.owner_id != given,
        # ok: secret-compared-with-equals
        len(token) == 40,
        # ok: secret-compared-with-equals
        given != "refresh_token",
        # ok: secret-compared-with-equals
        token == "",
        # ok: secret-compared-with-equals
        tok is token,
        # ok: secret-compared-with-equals
        tok.digest_algorithm == "sha256",
    ]
