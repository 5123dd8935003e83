"""Bad TOKENWARD settings are reported by system checks at start-up."""

from __future__ import annotations

import pytest

from tokenward.tokens.checks import check_token_settings


def test_the_shipped_settings_pass():
    assert check_token_settings() == []


@pytest.mark.parametrize(
    ("name", "value", "check_id"),
    [
        ("PERSONAL_TOKEN_MAX_DAYS", 0, "tokenward.E011"),
        ("PERSONAL_TOKEN_MAX_DAYS", "ninety", "tokenward.E011"),
        ("VERIFIED_TOKEN_CACHE_SECONDS", -1, "tokenward.E012"),
        ("VERIFIED_TOKEN_CACHE_SIZE", 0, "tokenward.E013"),
        ("LAST_USE_WRITE_SECONDS", True, "tokenward.E014"),
        ("TOKEN_DIGEST_KEY", "short", "tokenward.E010"),
    ],
)
def test_a_bad_value_is_named(settings, name, value, check_id):
    settings.TOKENWARD = {**settings.TOKENWARD, name: value}

    errors = check_token_settings()

    assert [error.id for error in errors] == [check_id]
    assert name in errors[0].msg


def test_a_bad_environment_value_stops_the_server_with_a_clear_message(tmp_path):
    import os
    import subprocess
    import sys

    env = {
        **os.environ,
        "TOKENWARD_DATA_DIR": str(tmp_path),
        "TOKENWARD_PERSONAL_TOKEN_MAX_DAYS": "ninety",
    }
    result = subprocess.run(
        [sys.executable, "-m", "tokenward.cli", "migrate"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode != 0
    assert "PERSONAL_TOKEN_MAX_DAYS" in result.stderr
    assert "Traceback" not in result.stderr
