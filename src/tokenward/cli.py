"""The ``tokenward`` command: serve, migrate, and manage users, projects and tokens."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, NoReturn

from tokenward.ids import parse_id

if TYPE_CHECKING:
    from tokenward.accounts.models import User

ROLES = ("administrator", "user", "requester")


class CommandError(Exception):
    """A command cannot be carried out; its message is printed as one line on stderr."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message}\n")


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tokenward.settings")
    import django

    django.setup()


def _read_password_stdin() -> str:
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise CommandError("No password was given on standard input.")
    return password


def _check_configuration() -> None:
    """Raise ``CommandError`` naming every configuration error the system checks find;
    print their warnings (a data folder open to other users) on stderr."""
    from django.core import checks

    found = checks.run_checks()
    for warning in found:
        if checks.WARNING <= warning.level < checks.ERROR:
            print(f"tokenward: warning: {warning.msg} ({warning.id})", file=sys.stderr)
    errors = [e for e in found if e.level >= checks.ERROR]
    if errors:
        raise CommandError("bad configuration: " + " ".join(f"{e.msg} ({e.id})" for e in errors))


def cmd_migrate(_args: argparse.Namespace) -> None:
    from django.core.management import call_command

    _check_configuration()
    call_command("migrate", interactive=False, verbosity=0)
    _print_data_warnings()


def _print_data_warnings() -> None:
    """Print on stderr the warnings of the checks that read the data (look-alike logins)."""
    from django.core import checks

    for warning in checks.run_checks(tags=[checks.Tags.database], databases=["default"]):
        if checks.WARNING <= warning.level < checks.ERROR:
            print(
                f"tokenward: warning: {warning.msg} {warning.hint} ({warning.id})", file=sys.stderr
            )


def cmd_serve(args: argparse.Namespace) -> NoReturn:
    """Migrate, create the first accounts, then replace this process with gunicorn."""
    from tokenward.accounts.services import ensure_bootstrap_accounts

    cmd_migrate(args)
    boot = ensure_bootstrap_accounts(os.environ.get("TOKENWARD_ADMIN_PASSWORD"))
    if boot.created_admin:
        print("Created the administrator account 'admin'.", flush=True)
        if boot.admin_password:
            # Printed once to the terminal, never logged: it is not stored anywhere else.
            print(f"Its password, shown only now: {boot.admin_password}", flush=True)
    host = args.host or os.environ.get("TOKENWARD_HOST", "127.0.0.1")
    port = args.port or os.environ.get("TOKENWARD_PORT", "8000")
    workers = args.workers or os.environ.get("TOKENWARD_WORKERS", "2")
    bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    from tokenward.metrics import prepare_multiprocess_dir

    prepare_multiprocess_dir(str(port))  # the workers' shared samples, when metrics are on
    print(f"tokenward serving on http://{bind}/", flush=True)
    argv = [
        sys.executable,
        "-m",
        "gunicorn",
        "tokenward.wsgi:application",
        "--config",
        "python:tokenward.gunicorn_conf",
        "--bind",
        bind,
        "--workers",
        str(workers),
    ]
    os.execv(sys.executable, argv)  # nosec B606 # noqa: S606  (a fixed argv, no shell)


def cmd_user_add(args: argparse.Namespace) -> None:
    from tokenward.accounts import services

    password = _read_password_stdin() if args.password_stdin else None
    try:
        user = services.create_user(
            args.login,
            email=args.email,
            full_name=args.name,
            role=args.role,
            can_use_api_tokens=False if args.no_api_tokens else None,
            account_type="sso" if args.sso else "local",
            password=password,
        )
    except services.AccountError as exc:
        raise CommandError(str(exc)) from None
    print(f"Created user {user.login!r} (id {user.id}, {user.role}).")


def cmd_user_set_password(args: argparse.Namespace) -> None:
    from tokenward.accounts import services

    try:
        user = services.find_user(args.login)
        services.set_password(user, _read_password_stdin())
    except services.AccountError as exc:
        raise CommandError(str(exc)) from None
    print(f"Set the password of {user.login!r}.")


def _set_active(args: argparse.Namespace, active: bool) -> None:
    from tokenward.accounts import services

    try:
        user = services.find_user(args.login)
        services.set_active(user, active)
    except services.AccountError as exc:
        raise CommandError(str(exc)) from None
    print(f"{'Activated' if active else 'Deactivated'} {user.login!r}.")


def cmd_user_list(_args: argparse.Namespace) -> None:
    from tokenward.accounts.lookalikes import lookalike_groups
    from tokenward.accounts.models import User

    # Accounts kept from before logins were folded get a column naming their look-alikes.
    alike = {login: group for group in lookalike_groups() for login in group}
    rows = [("ID", "LOGIN", "ROLE", "ACTIVE", "API TOKENS", "ACCOUNT", "NAME", "E-MAIL")]
    if alike:
        rows[0] += ("LOOKS LIKE",)
    for u in User.objects.order_by("id"):
        row = (
            str(u.id),
            u.login,
            u.role,
            "yes" if u.is_active else "no",
            "yes" if u.can_use_api_tokens else "no",
            u.account_type,
            u.full_name,
            u.email,
        )
        if alike:
            row += (", ".join(other for other in alike.get(u.login, ()) if other != u.login),)
        rows.append(row)
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )


def cmd_project_add(args: argparse.Namespace) -> None:
    from tokenward.tracker import services

    try:
        project = services.create_project(
            short_name=args.shortname,
            name=args.name,
            is_public=args.public,
            leader_login=args.leader,
            member_logins=args.member or [],
        )
    except services.ProjectError as exc:
        raise CommandError(str(exc)) from None
    print(f"Created project {project.short_name!r} (id {project.id}).")


def _print_table(rows: Sequence[Sequence[str]]) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )


def _token_id(value: str) -> int:
    token_id = parse_id(value)
    if token_id is None:
        raise argparse.ArgumentTypeError(f"invalid token id: {value!r}")
    return token_id


def _find_user(login: str) -> User:
    from tokenward.accounts import services

    try:
        return services.find_user(login)
    except services.AccountError as exc:
        raise CommandError(str(exc)) from None


def _when(moment: datetime | None, default: str) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%MZ") if moment is not None else default


def cmd_token_list(args: argparse.Namespace) -> None:
    """Print a user's personal tokens, newest first; never their secrets."""
    from tokenward.tokens.personal import list_personal_tokens, token_status

    rows = [("ID", "NAME", "SCOPES", "TOKEN", "CREATED", "LAST USED", "EXPIRES", "STATUS")]
    for t in list_personal_tokens(_find_user(args.login)):
        rows.append(
            (
                str(t.id),
                t.name,
                ",".join(t.scopes),
                t.display,
                _when(t.created_at, ""),
                _when(t.last_used_at, "never"),
                _when(t.expires_at, "never"),
                token_status(t),
            )
        )
    _print_table(rows)


def cmd_token_revoke(args: argparse.Namespace) -> None:
    from tokenward.audit.services import CLI
    from tokenward.tokens.personal import find_personal_token, revoke_personal_token

    token = find_personal_token(args.id)
    if token is None:
        raise CommandError(f"There is no personal token with id {args.id}.")
    if revoke_personal_token(token, by=None, client=CLI):
        print(f"Revoked personal token {token.id}.")
    else:
        print(f"Personal token {token.id} was already revoked.")


def cmd_token_revoke_all(args: argparse.Namespace) -> None:
    from tokenward.audit.services import CLI
    from tokenward.tokens.personal import revoke_all_personal_tokens

    user = _find_user(args.login)
    count = revoke_all_personal_tokens(user, by=None, client=CLI)
    print(f"Revoked {count} personal token{'' if count == 1 else 's'} of {user.login!r}.")


def cmd_offline_list(args: argparse.Namespace) -> None:
    """Print a user's offline tokens, newest first; never their secrets."""
    from tokenward.tokens.offline import list_offline_tokens

    rows = [("ID", "NAME", "TOKEN", "CREATED", "LAST USED", "STATUS")]
    for t in list_offline_tokens(_find_user(args.login)):
        used = _when(t.last_used_at, "never")
        status = "revoked" if t.revoked_at else "active"
        rows.append((str(t.id), t.name, t.display, _when(t.created_at, ""), used, status))
    _print_table(rows)


def cmd_offline_revoke(args: argparse.Namespace) -> None:
    from tokenward.audit.services import CLI
    from tokenward.tokens.offline import find_offline_token, revoke_offline_token

    token = find_offline_token(args.id)
    if token is None:
        raise CommandError(f"There is no offline token with id {args.id}.")
    done = revoke_offline_token(token, by=None, client=CLI)
    print(f"{'Revoked' if done else 'Already revoked:'} offline token {token.id}.")


def cmd_keys_rotate(_args: argparse.Namespace) -> None:
    """Add a new JWT signing key; old keys keep verifying until their tokens have expired."""
    from tokenward.credentials.jwt_keys import rotate

    kid, dropped = rotate()
    print(f"New signing key {kid}.")
    for old in dropped:
        print(f"Removed retired key {old}.")


def cmd_scan(args: argparse.Namespace) -> int:
    """Print the tokens found under ``args.paths``; reads no settings and no database."""
    from tokenward.scan import scan

    return scan(args.paths)


def cmd_maintain(args: argparse.Namespace) -> None:
    """Expiry notices, unused-token expiry, retention: one summary line per step."""
    from tokenward.tokens.maintenance import run_maintenance

    _check_configuration()
    results = run_maintenance(dry_run=args.dry_run)
    for result in results:
        print(result.line(), flush=True)
    if failed := sum(result.failed for result in results):
        raise CommandError(f"{failed} e-mails could not be sent; see the warnings above.")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="tokenward", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    serve = sub.add_parser("serve", help="migrate, then serve with gunicorn")
    serve.add_argument("--host")
    serve.add_argument("--port")
    serve.add_argument("--workers")
    serve.set_defaults(func=cmd_serve)
    sub.add_parser("migrate", help="create or update the database").set_defaults(func=cmd_migrate)

    user = sub.add_parser("user", help="manage users").add_subparsers(
        dest="user_command", required=True, parser_class=_Parser
    )
    add = user.add_parser("add", help="create a user")
    add.add_argument("login")
    add.add_argument("--email", default="")
    add.add_argument("--name", default="")
    add.add_argument("--role", choices=ROLES, default="user")
    add.add_argument("--no-api-tokens", action="store_true")
    add.add_argument("--sso", action="store_true", help="a single-sign-on account")
    add.add_argument("--password-stdin", action="store_true")
    add.set_defaults(func=cmd_user_add)
    setpw = user.add_parser("set-password", help="set a password read from standard input")
    setpw.add_argument("login")
    setpw.add_argument("--password-stdin", action="store_true", required=True)
    setpw.set_defaults(func=cmd_user_set_password)
    for name, active in (("activate", True), ("deactivate", False)):
        cmd = user.add_parser(name, help=f"{name} a user")
        cmd.add_argument("login")
        cmd.set_defaults(func=lambda args, active=active: _set_active(args, active))
    user.add_parser("list", help="list users").set_defaults(func=cmd_user_list)

    project = sub.add_parser("project", help="manage projects").add_subparsers(
        dest="project_command", required=True, parser_class=_Parser
    )
    padd = project.add_parser("add", help="create a project")
    padd.add_argument("shortname")
    padd.add_argument("--name", required=True)
    padd.add_argument("--public", action="store_true")
    padd.add_argument("--leader")
    padd.add_argument("--member", nargs="+", metavar="LOGIN")
    padd.set_defaults(func=cmd_project_add)

    token = sub.add_parser("token", help="manage personal access tokens").add_subparsers(
        dest="token_command", required=True, parser_class=_Parser
    )
    tlist = token.add_parser("list", help="list a user's tokens (never their secrets)")
    tlist.add_argument("login")
    tlist.set_defaults(func=cmd_token_list)
    trevoke = token.add_parser("revoke", help="revoke one token")
    trevoke.add_argument("id", type=_token_id)
    trevoke.set_defaults(func=cmd_token_revoke)
    tall = token.add_parser("revoke-all", help="revoke every live token of a user")
    tall.add_argument("login")
    tall.set_defaults(func=cmd_token_revoke_all)

    off = sub.add_parser("offline-token", help="manage offline refresh tokens")
    off_sub = off.add_subparsers(dest="offline_command", required=True, parser_class=_Parser)
    olist = off_sub.add_parser("list", help="list a user's offline tokens")
    olist.add_argument("login")
    olist.set_defaults(func=cmd_offline_list)
    orevoke = off_sub.add_parser("revoke", help="revoke one offline token and its access tokens")
    orevoke.add_argument("id", type=_token_id)
    orevoke.set_defaults(func=cmd_offline_revoke)

    keys = sub.add_parser("keys", help="manage the keys that sign JWT access tokens")
    keys_sub = keys.add_subparsers(dest="keys_command", required=True, parser_class=_Parser)
    keys_sub.add_parser("rotate", help="add a new signing key").set_defaults(func=cmd_keys_rotate)

    maintain = sub.add_parser(
        "maintain", help="expiry notices, unused-token expiry, retention (cron, any server)"
    )
    maintain.add_argument("--dry-run", action="store_true", help="print counts, change nothing")
    maintain.set_defaults(func=cmd_maintain)

    scan = sub.add_parser(
        "scan", help="find tokenward tokens in files (exit 1 if any); needs no database"
    )
    scan.add_argument("paths", nargs="+", metavar="PATH", help="a file or folder")
    scan.set_defaults(func=cmd_scan)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one subcommand; return the process exit status."""
    args = build_parser().parse_args(argv)
    if args.func is cmd_scan:  # before Django: it must work where no server is configured
        return cmd_scan(args)
    func: Callable[[argparse.Namespace], None] = args.func
    _setup_django()
    from django.db import DatabaseError

    try:
        func(args)
    except CommandError as exc:
        print(f"tokenward: {exc}", file=sys.stderr)
        return 1
    except DatabaseError as exc:
        first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(
            f"tokenward: database error ({first_line}); run 'tokenward migrate' first.",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
