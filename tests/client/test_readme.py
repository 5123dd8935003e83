"""Every ``python`` block of client/README.md runs, as it is, against a live server."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.live]

README = Path(__file__).resolve().parents[2] / "client" / "README.md"
BLOCK = re.compile(r"^```python\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def python_blocks() -> list[str]:
    return BLOCK.findall(README.read_text(encoding="utf-8"))


def heading_of(block: str) -> str:
    text = README.read_text(encoding="utf-8")
    before = text[: text.index(block)]
    return re.findall(r"^## (.+)$", before, re.MULTILINE)[-1]


BLOCKS = python_blocks()


def test_the_readme_has_an_example_for_every_scheme():
    headings = [heading_of(block) for block in BLOCKS]

    assert len(BLOCKS) == 8
    for word in ("Basic", "Personal", "service", "Tuleap", "TrialGrid", "session", "OAuth2"):
        assert any(word in heading for heading in headings), word
    assert any("offline" in heading for heading in headings)


@pytest.fixture
def environment(live_server, member, make_token, make_offline_token, make_app, obtain_tokens):
    """The variables the README names, for ``member`` on the live server."""
    app = make_app()
    tokens = obtain_tokens(app, member)
    env = {
        "TOKENWARD_URL": live_server.url,
        "TOKENWARD_LOGIN": member.login,
        "TOKENWARD_PASSWORD": member.raw_password,
        "TOKENWARD_TOKEN": make_token(member).plaintext,
        "TOKENWARD_OFFLINE_TOKEN": make_offline_token(member).plaintext,
        "TOKENWARD_CLIENT_ID": app.client_id,
        "TOKENWARD_CLIENT_SECRET": app.secret,
        "TOKENWARD_ACCESS_TOKEN": tokens["access_token"],
        "TOKENWARD_REFRESH_TOKEN": tokens["refresh_token"],
    }
    return env


@pytest.mark.parametrize("block", BLOCKS, ids=[heading_of(block) for block in BLOCKS])
def test_readme_example_runs(environment, member, block):
    keep = {name: os.environ[name] for name in ("PATH", "HOME", "SYSTEMROOT") if name in os.environ}
    result = subprocess.run(
        [sys.executable, "-c", block],
        env={**keep, **environment},
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    assert member.login in result.stdout
    secrets = [
        environment[name]
        for name in environment
        if name not in {"TOKENWARD_URL", "TOKENWARD_LOGIN", "TOKENWARD_CLIENT_ID"}
    ]
    for secret in secrets:
        assert secret not in result.stdout + result.stderr
