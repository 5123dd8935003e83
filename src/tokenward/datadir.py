"""The data folder: where the SQLite database and the generated server keys live."""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

# SQLite's own files beside a database: they hold the same rows, so the same secrets.
SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")
PRIVATE_FILE = 0o600
PRIVATE_FOLDER = 0o700


def data_dir() -> Path:
    """Return the data folder, created 0700 if missing (``TOKENWARD_DATA_DIR``, default
    ``./var``): it holds the server keys and the SQLite database, whatever the umask.

    An existing folder keeps its mode, which may be shared on purpose; a looser one is
    reported at start-up (``loose_data_dir_warning``).
    """
    path = Path(os.environ.get("TOKENWARD_DATA_DIR") or Path.cwd() / "var").resolve()
    path.mkdir(mode=PRIVATE_FOLDER, parents=True, exist_ok=True)
    return path


def loose_data_dir_warning(path: Path) -> str | None:
    """Return a sentence saying that other users may open ``path``; None if they may not."""
    try:
        mode = path.stat().st_mode & 0o777
    except OSError:
        return None
    if not mode & 0o077:
        return None
    return (
        f"The data folder {path} is open to other users (mode {mode:04o}); it holds the "
        f"server keys and the database: chmod 700 {path}."
    )


def protect_sqlite_database(name: str) -> None:
    """Create the SQLite database file ``name`` 0600 before SQLite opens it, and take
    group and other access away from an existing one and its companions.

    SQLite creates a database 0644 less the umask, and gives its ``-wal``, ``-shm`` and
    ``-journal`` files the database file's mode: once the file is 0600, they are too.
    A file of another owner, or a folder that does not exist, is left to SQLite to report.
    """
    if not name or name == ":memory:" or name.startswith("file:"):
        return
    path = Path(name)
    # It may exist (tightened below), or SQLite will say why it cannot be made.
    with contextlib.suppress(OSError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))
    for file in (path, *(path.with_name(path.name + suffix) for suffix in SQLITE_COMPANIONS)):
        try:
            if file.stat().st_mode & 0o077:
                file.chmod(PRIVATE_FILE)
        except OSError:
            continue


def read_or_create_key(name: str, env_var: str) -> str:
    """Return a server key from ``env_var``, else from the data folder, generating it once.

    The file is created with mode 0600 and written atomically, so two processes starting
    together agree on one key.
    """
    if value := os.environ.get(env_var):
        return value
    path = data_dir() / name
    if not path.exists():
        tmp = path.with_name(f".{name}.{os.getpid()}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(50))
        try:
            os.link(tmp, path)  # fails if another process won the race; theirs is kept
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return path.read_text().strip()
