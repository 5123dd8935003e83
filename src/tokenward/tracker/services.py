"""The only code outside the API that writes projects: used by the CLI."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import IntegrityError, transaction

from tokenward.accounts.models import User
from tokenward.tracker.models import Project


class ProjectError(Exception):
    """A project cannot be created as asked; the message says why."""


def create_project(
    *,
    short_name: str,
    name: str,
    is_public: bool = False,
    leader_login: str | None = None,
    member_logins: Sequence[str] = (),
    created_by: User | None = None,
) -> Project:
    """Create a project with its leader and members, all or nothing.

    Raise ``ProjectError`` if a login is unknown or the short name is taken.
    """
    short_name, name = short_name.strip(), name.strip()
    if not short_name or not name:
        raise ProjectError("A project needs a short name and a name.")
    logins = [*([leader_login] if leader_login else []), *member_logins]
    users = {u.login: u for u in User.objects.filter(login__in=logins)}
    if missing := [login for login in logins if login not in users]:
        raise ProjectError(f"There is no user with the login {missing[0]!r}.")
    try:
        with transaction.atomic():
            project = Project.objects.create(
                short_name=short_name,
                name=name,
                is_public=is_public,
                leader=users.get(leader_login) if leader_login else None,
                created_by=created_by,
            )
            project.members.set([users[login] for login in member_logins])
    except IntegrityError:
        raise ProjectError(f"The short name {short_name!r} is already taken.") from None
    return project
