"""The data folder: where the SQLite database and the generated server keys live."""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def data_dir() -> Path:
    """Return the data folder, created if missing (``TOKENWARD_DATA_DIR``, default ``./var``)."""
    path = Path(os.environ.get("TOKENWARD_DATA_DIR") or Path.cwd() / "var").resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


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
