"""Bad TOKENWARD settings are reported by system checks at start-up."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tokenward.tokens.checks import (
    check_client_address_settings,
    check_sign_on_settings,
    check_token_settings,
)


def migrate_with(data_dir: Path, **environment: str) -> subprocess.CompletedProcess[str]:
    """Run ``tokenward migrate`` in a fresh process with these extra environment variables."""
    return subprocess.run(
        [sys.executable, "-m", "tokenward.cli", "migrate"],
        env={**os.environ, "TOKENWARD_DATA_DIR": str(data_dir), **environment},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def nothing_migrated(data_dir: Path) -> bool:
    """Whether the SQLite database holds nothing: missing, or the empty file that settings
    create 0600 before SQLite opens it (``datadir.protect_sqlite_database``)."""
    database = data_dir / "tokenward.sqlite3"
    return not database.exists() or database.stat().st_size == 0


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
    result = migrate_with(tmp_path, TOKENWARD_PERSONAL_TOKEN_MAX_DAYS="ninety")

    assert result.returncode != 0
    assert "PERSONAL_TOKEN_MAX_DAYS" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_shipped_sign_on_settings_pass():
    assert check_sign_on_settings() == []


@pytest.mark.parametrize(
    "changes",
    [
        {"SSO_HEADER": "X-Remote-User", "SSO_TRUSTED_PROXIES": ["127.0.0.1"]},
        {"SSO_HEADER": "Remote-User", "SSO_TRUSTED_PROXIES": ("10.0.0.0/8", "2001:db8::/32")},
        {"SSO_HEADER": "", "SSO_TRUSTED_PROXIES": []},
        {"LOGIN_FORM_ENABLED": False},
    ],
)
def test_good_sign_on_settings_pass(settings, changes):
    settings.TOKENWARD = {**settings.TOKENWARD, **changes}

    assert check_sign_on_settings() == []


@pytest.mark.parametrize(
    ("changes", "check_id", "named"),
    [
        ({"SSO_HEADER": "X_Remote_User"}, "tokenward.E020", "SSO_HEADER"),
        ({"SSO_HEADER": "X-Remote-User: alice"}, "tokenward.E020", "SSO_HEADER"),
        ({"SSO_HEADER": None}, "tokenward.E020", "SSO_HEADER"),
        ({"SSO_TRUSTED_PROXIES": "10.0.0.1"}, "tokenward.E021", "must be a list"),
        ({"SSO_TRUSTED_PROXIES": ["10.0.0.1", "proxy.local"]}, "tokenward.E021", "'proxy.local'"),
        ({"SSO_TRUSTED_PROXIES": ["10.0.0.1/8"]}, "tokenward.E021", "has host bits set"),
        ({"SSO_TRUSTED_PROXIES": ["10.0.0.0/33"]}, "tokenward.E021", "'10.0.0.0/33'"),
        ({"SSO_TRUSTED_PROXIES": ["0.0.0.0/0"]}, "tokenward.E021", "lets anyone sign in"),
        ({"SSO_TRUSTED_PROXIES": ["::/0"]}, "tokenward.E021", "lets anyone sign in"),
        ({"SSO_TRUSTED_PROXIES": [10]}, "tokenward.E021", "holds 10"),
        ({"SSO_HEADER": "X-Remote-User", "SSO_TRUSTED_PROXIES": []}, "tokenward.E022", "empty"),
        ({"LOGIN_FORM_ENABLED": "no"}, "tokenward.E023", "LOGIN_FORM_ENABLED"),
    ],
)
def test_a_bad_sign_on_value_is_named(settings, changes, check_id, named):
    settings.TOKENWARD = {**settings.TOKENWARD, **changes}

    errors = check_sign_on_settings()

    assert [error.id for error in errors] == [check_id]
    assert named in errors[0].msg
    assert errors[0].msg.startswith("TOKENWARD[")


def test_every_bad_sign_on_value_is_reported_at_once(settings):
    settings.TOKENWARD = {
        **settings.TOKENWARD,
        "SSO_HEADER": "X_Remote_User",
        "SSO_TRUSTED_PROXIES": ["nope", "0.0.0.0/0"],
        "LOGIN_FORM_ENABLED": 0,
    }

    errors = check_sign_on_settings()

    assert [error.id for error in errors] == [
        "tokenward.E020",
        "tokenward.E021",
        "tokenward.E021",
        "tokenward.E023",
    ]


def test_a_bad_trusted_proxy_in_the_environment_stops_the_server(tmp_path):
    result = migrate_with(
        tmp_path,
        TOKENWARD_SSO_HEADER="X-Remote-User",
        TOKENWARD_SSO_TRUSTED_PROXIES="10.0.0.5, proxy.local",
    )

    assert result.returncode != 0
    assert "SSO_TRUSTED_PROXIES" in result.stderr
    assert "'proxy.local'" in result.stderr
    assert "Traceback" not in result.stderr
    assert nothing_migrated(tmp_path)


def test_the_shipped_client_address_settings_pass():
    assert check_client_address_settings() == []


@pytest.mark.parametrize(
    "proxies",
    [[], (), ["127.0.0.1"], ["10.0.0.0/8", "2001:db8::/32", " 192.0.2.7 "], ("::1",)],
)
def test_good_trusted_proxies_pass(settings, proxies):
    settings.TOKENWARD = {**settings.TOKENWARD, "TRUSTED_PROXIES": proxies}

    assert check_client_address_settings() == []


@pytest.mark.parametrize(
    ("proxies", "named"),
    [
        ("10.0.0.1", "must be a list"),
        (None, "must be a list"),
        (["10.0.0.1", "proxy.local"], "'proxy.local'"),
        (["10.0.0.1/8"], "has host bits set"),
        (["10.0.0.0/33"], "'10.0.0.0/33'"),
        (["0.0.0.0/0"], "lets every client choose its own address"),
        (["::/0"], "lets every client choose its own address"),
        ([10], "holds 10"),
        (["::ffff:10.0.0.5"], "write an IPv4-mapped address as IPv4"),
        (["::ffff:10.0.0.0/104"], "write an IPv4-mapped address as IPv4"),
    ],
)
def test_a_bad_trusted_proxy_is_named(settings, proxies, named):
    settings.TOKENWARD = {**settings.TOKENWARD, "TRUSTED_PROXIES": proxies}

    errors = check_client_address_settings()

    assert [error.id for error in errors] == ["tokenward.E024"]
    assert named in errors[0].msg
    assert errors[0].msg.startswith("TOKENWARD['TRUSTED_PROXIES'] ")


def test_every_bad_trusted_proxy_is_reported_and_sign_on_is_not_blamed(settings):
    settings.TOKENWARD = {**settings.TOKENWARD, "TRUSTED_PROXIES": ["nope", "0.0.0.0/0"]}

    assert [error.id for error in check_client_address_settings()] == ["tokenward.E024"] * 2
    assert check_sign_on_settings() == []


def test_a_bad_trusted_proxy_in_the_environment_stops_the_server_before_migrating(tmp_path):
    result = migrate_with(tmp_path, TOKENWARD_TRUSTED_PROXIES="10.0.0.5, 0.0.0.0/0")

    assert result.returncode != 0
    assert "tokenward.E024" in result.stderr
    assert "'0.0.0.0/0'" in result.stderr
    assert "Traceback" not in result.stderr
    assert nothing_migrated(tmp_path)
