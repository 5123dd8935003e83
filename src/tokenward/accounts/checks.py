"""System check: accounts whose logins look alike, kept from before logins were folded."""

from __future__ import annotations

from typing import Any

from django.core.checks import Tags, Warning, register
from django.db import DatabaseError

from tokenward.accounts.lookalikes import lookalike_groups


@register(Tags.database)
def check_lookalike_logins(
    app_configs: Any = None, databases: Any = None, **kwargs: Any
) -> list[Warning]:
    """Warn about each group of accounts whose logins look alike (``bob`` and ``BOB``).

    A database check: it reads the users table, so it runs where Django asks the database
    (``tokenward migrate`` and ``serve`` after migrating, ``check --database default``).
    Nothing is deleted; an administrator renames all but one account of each group.
    """
    if not databases or "default" not in databases:
        return []  # asked without the database (``check`` alone): nothing may be read
    try:
        groups = lookalike_groups()
    except DatabaseError:  # not migrated yet: nothing to compare
        return []
    return [
        Warning(
            "These logins look alike: " + ", ".join(repr(login) for login in group) + ".",
            hint="They differ only in letter case, character width or invisible characters. "
            "Rename all but one of these accounts; a login that looks like another can no "
            "longer be created.",
            id="tokenward.W001",
        )
        for group in groups
    ]
