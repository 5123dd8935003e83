"""``tokenward scan``: every kind found by prefix and checksum, nothing else, never the secret."""

from __future__ import annotations

import io
import os
import secrets
import subprocess
import sys
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from tokenward.credentials.format import ALPHABET, TokenType, generate
from tokenward.credentials.kinds import KIND_NAMES, recognise
from tokenward.scan import MAX_FILE_BYTES, find_tokens, scan

TOKENWARD = Path(sys.executable).parent / "tokenward"


def run(*paths: Path | str) -> tuple[int, str, str]:
    """Scan ``paths`` in process; return the exit status, stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    status = scan([str(p) for p in paths], out, err)
    return status, out.getvalue(), err.getvalue()


def shown(token: str) -> str:
    return f"{token[:4]}…{token[-4:]}"


def bad_checksum_lookalikes(count: int) -> list[str]:
    """Strings of a token's exact shape (prefix, 36 letters and digits) whose checksum fails."""
    table = bytes(ord(ALPHABET[b % len(ALPHABET)]) for b in range(256))
    letters = secrets.token_bytes(36 * count).translate(table).decode()
    prefixes = [t.value for t in TokenType]
    values = (
        f"{prefixes[i % len(prefixes)]}_{letters[36 * i : 36 * (i + 1)]}" for i in range(count)
    )
    # A random one passes the CRC32 once in four billion: leave such a one out.
    return [value for value in values if recognise(value) is None]


def test_finds_every_kind_in_nested_files_with_line_and_column(tmp_path):
    tokens = {t: generate(t) for t in TokenType}
    deep = tmp_path / "a" / "b" / "c"
    deep.mkdir(parents=True)
    (deep / "config.yaml").write_text(f"# settings\napi:\n  key: {tokens[TokenType.PERSONAL]}\n")
    (tmp_path / "a" / "env").write_text(
        f"SESSION={tokens[TokenType.SESSION]}\n"
        f'é "{tokens[TokenType.OFFLINE]}" {tokens[TokenType.OAUTH_ACCESS]}\n'
    )
    (tmp_path / "notes.md").write_text(f"refresh: `{tokens[TokenType.OAUTH_REFRESH]}`")

    status, out, err = run(tmp_path)

    assert status == 1
    env, shown_of = tmp_path / "a" / "env", {t: shown(v) for t, v in tokens.items()}
    # The files of a folder before its subfolders', each in name order.
    assert out.splitlines() == [
        f"{tmp_path / 'notes.md'}:1:11: oauth_refresh_token {shown_of[TokenType.OAUTH_REFRESH]}",
        f"{env}:1:9: session_token {shown_of[TokenType.SESSION]}",
        f"{env}:2:4: offline_token {shown_of[TokenType.OFFLINE]}",
        f"{env}:2:46: oauth_access_token {shown_of[TokenType.OAUTH_ACCESS]}",
        f"{deep / 'config.yaml'}:3:8: personal_token {shown_of[TokenType.PERSONAL]}",
    ]
    assert err == "tokenward scan: 5 tokens found in 3 of 3 files scanned.\n"
    for token in tokens.values():
        assert token not in out + err


def test_a_token_must_stand_alone_as_a_word(tmp_path):
    token = generate(TokenType.PERSONAL)
    text = f"x{token} {token}Z _{token} {token[:-1]} ({token})"
    (tmp_path / "f").write_text(text)

    status, out, _ = run(tmp_path / "f")

    assert status == 1
    assert out == f"{tmp_path / 'f'}:1:{text.index('(') + 2}: personal_token {shown(token)}\n"


def test_binary_files_git_folders_large_files_and_links_are_skipped(tmp_path):
    token = generate(TokenType.PERSONAL)
    (tmp_path / "image.png").write_bytes(b"\x89PNG\0\0" + token.encode())
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "ORIG_HEAD").write_text(token)
    (tmp_path / "big.log").write_bytes(b" " * MAX_FILE_BYTES + token.encode())
    outside = tmp_path.parent / f"outside-{secrets.token_hex(4)}"
    outside.mkdir()
    (outside / "secret.txt").write_text(token)
    (tmp_path / "link").symlink_to(outside, target_is_directory=True)
    (tmp_path / "file-link").symlink_to(outside / "secret.txt")
    os.mkfifo(tmp_path / "fifo")  # reading it would block

    status, out, err = run(tmp_path)

    assert (status, out) == (0, "")
    assert err == (
        "tokenward scan: 0 tokens found in 0 of 0 files scanned; skipped 1 binary, 1 over 10 MiB.\n"
    )


def test_a_nul_byte_after_the_first_8_kib_is_still_text(tmp_path):
    token = generate(TokenType.OFFLINE)
    (tmp_path / "f").write_bytes(b"a" * 9000 + b"\0\n" + token.encode())

    status, out, _ = run(tmp_path / "f")

    assert status == 1
    assert out == f"{tmp_path / 'f'}:2:1: offline_token {shown(token)}\n"


def test_no_false_positive_in_100k_lookalikes_with_bad_checksums(tmp_path):
    lookalikes = bad_checksum_lookalikes(100_000)
    real = generate(TokenType.PERSONAL)  # the one true finding: the scanner did look
    (tmp_path / "noise.txt").write_text("\n".join([*lookalikes, real]))

    status, out, err = run(tmp_path)

    assert len(lookalikes) > 99_990
    assert status == 1
    line = len(lookalikes) + 1
    assert out == f"{tmp_path / 'noise.txt'}:{line}:1: personal_token {shown(real)}\n"
    assert err == "tokenward scan: 1 token found in 1 of 1 file scanned.\n"


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from([t.value for t in TokenType]),
            st.text(alphabet=ALPHABET, min_size=36, max_size=36),
            st.sampled_from([" ", "\n", "'", '"', "=", ": "]),
        ),
        max_size=20,
    )
)
def test_no_false_positive_among_lookalikes_hypothesis_makes(parts):
    lookalikes = [f"{prefix}_{rest}" for prefix, rest, _ in parts]
    text = "".join(f"{value}{gap}" for value, (_, _, gap) in zip(lookalikes, parts, strict=True))

    found = list(find_tokens(text.encode(), "f"))

    # A random string passes the CRC32 once in four billion: only such a one may be found.
    assert [f.display for f in found] == [shown(v) for v in lookalikes if recognise(v) is not None]


@settings(max_examples=200, deadline=None)
@given(
    before=st.text(alphabet=" \n=:\"'(", max_size=20),
    after=st.text(alphabet=" \n=:\"')", max_size=20),
    token_type=st.sampled_from(list(TokenType)),
)
def test_a_real_token_is_found_wherever_it_stands(before, after, token_type):
    token = generate(token_type)

    [finding] = find_tokens(f"{before}{token}{after}".encode(), "f")

    assert (finding.kind, finding.display) == (KIND_NAMES[token_type], shown(token))


def test_a_missing_path_is_a_usage_error(tmp_path):
    status, out, err = run(tmp_path / "nope")

    assert (status, out) == (2, "")
    assert err == f"tokenward scan: {tmp_path / 'nope'}: no such file or folder\n"


def test_a_path_that_cannot_be_read_is_a_usage_error(tmp_path):
    os.mkfifo(tmp_path / "fifo")

    status, out, err = run(tmp_path / "fifo")

    assert (status, out) == (2, "")
    assert f"could not read {tmp_path / 'fifo'}: not a regular file" in err


def test_nothing_found_is_status_0(tmp_path):
    (tmp_path / "clean.py").write_text("print('no tokens here: twp_tooshort')\n")

    assert run(tmp_path) == (0, "", "tokenward scan: 0 tokens found in 0 of 1 file scanned.\n")


def tokenward(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run the installed command with no configuration at all: no settings, no database."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "TOKENWARD_DATA_DIR": str(cwd / "no-data-dir"),
        "DATABASE_URL": "postgres://nobody@127.0.0.1:1/none",
    }
    return subprocess.run(
        [str(TOKENWARD), "scan", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=60,
        check=False,
    )


def test_the_installed_command_scans_without_settings_or_a_database(tmp_path):
    token = generate(TokenType.OAUTH_REFRESH)
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.py").write_text(f"REFRESH = '{token}'\n")

    found = tokenward("src", cwd=tmp_path)
    (tmp_path / "src" / "app.py").write_text("REFRESH = ''\n")
    nothing = tokenward("src", cwd=tmp_path)

    assert found.returncode == 1
    assert found.stdout == f"src/app.py:1:12: oauth_refresh_token {shown(token)}\n"
    assert token not in found.stdout + found.stderr
    assert (nothing.returncode, nothing.stdout) == (0, "")
    assert not (tmp_path / "no-data-dir").exists()


def test_the_installed_command_reports_usage_errors_without_a_traceback(tmp_path):
    missing = tokenward("missing", cwd=tmp_path)
    no_path = tokenward(cwd=tmp_path)

    assert (missing.returncode, missing.stdout) == (2, "")
    assert missing.stderr == "tokenward scan: missing: no such file or folder\n"
    assert no_path.returncode == 2
    assert "Traceback" not in missing.stderr + no_path.stderr
    assert "required: PATH" in no_path.stderr
