"""Token digests: HMAC-SHA256 under the server's digest key, whatever key is current."""

from __future__ import annotations

import hashlib
import hmac

from django.test import override_settings

from tokenward.credentials.digest import token_digest


def expected(key: str, value: str) -> str:
    return hmac.new(key.encode(), value.encode(), hashlib.sha256).hexdigest()


def test_the_digest_is_hmac_sha256_under_the_digest_key(settings):
    key = settings.TOKENWARD["TOKEN_DIGEST_KEY"]

    assert token_digest("twp_example") == expected(key, "twp_example")


def test_a_new_key_takes_effect_at_once_and_the_old_one_comes_back(settings):
    old_key = settings.TOKENWARD["TOKEN_DIGEST_KEY"]
    before = token_digest("twp_example")
    new_key = "another-digest-key-for-this-test-only"

    with override_settings(TOKENWARD={**settings.TOKENWARD, "TOKEN_DIGEST_KEY": new_key}):
        assert token_digest("twp_example") == expected(new_key, "twp_example") != before

    assert token_digest("twp_example") == expected(old_key, "twp_example") == before
