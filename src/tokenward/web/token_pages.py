"""The Access Tokens page: a user's personal and offline tokens and authorized applications.

Every write goes through the credential's services module; this module only reads the
form, calls the service and renders. A new secret is rendered in the reply to the POST
that made it (``no-store``) and nowhere else, so reloading the page cannot show it again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from tokenward.accounts.models import User
from tokenward.authn.client import client_info
from tokenward.conf import setting
from tokenward.credentials.scopes import ALL_SCOPES
from tokenward.oauth.services import Authorization, authorizations_of, revoke_authorization
from tokenward.tokens import offline, personal
from tokenward.tokens.errors import TokenNotLiveError, TokenRequestError, TokensNotPermittedError
from tokenward.tokens.models import PersonalAccessToken
from tokenward.web.security import credential_page
from tokenward.web.step_up import step_up_required

EXPIRY_DAYS = (7, 30, 60, 90, 180, 365)
DEFAULT_EXPIRY_DAYS = 30
NOT_PERMITTED = (
    "This account may not use API tokens, so it cannot create them. "
    "An administrator can give it the permission."
)
ROTATE_TEMPLATE = "web/tokens_rotate.html"

View = Callable[..., HttpResponse]


def token_page(methods: list[str]) -> Callable[[View], View]:
    """Return the guard of every token page: no-store and CSP, ``methods``, login, step-up."""

    def decorate(view: View) -> View:
        return credential_page(require_http_methods(methods)(step_up_required(view)))

    return decorate


@dataclass(frozen=True)
class PersonalTokenRow:
    """A personal token as the page lists it: whether it works, and where it was last used."""

    token: PersonalAccessToken
    status: str
    last_address: str


def expiry_choices() -> list[tuple[str, str]]:
    """Return the expiry options the server allows: days within the cap, a date, or never."""
    max_days = setting("PERSONAL_TOKEN_MAX_DAYS")
    days = [d for d in EXPIRY_DAYS if max_days is None or d <= max_days]
    if max_days is not None and max_days not in days:
        days.append(max_days)
    choices = [(str(d), f"{d} days") for d in days]
    choices.append(("date", "On a date…"))
    if max_days is None:
        choices.append(("never", "Never"))
    return choices


def default_expiry() -> str:
    """Return the preselected expiry: 30 days, or the server's maximum if that is shorter."""
    max_days = setting("PERSONAL_TOKEN_MAX_DAYS")
    return str(DEFAULT_EXPIRY_DAYS if max_days is None else min(DEFAULT_EXPIRY_DAYS, max_days))


def requested_expiry(data: QueryDict, now: datetime) -> datetime | None:
    """Return the expiry the form asks for (None: never). Raise ``TokenRequestError``.

    A date means the start of that day in the server's time zone. Whether it is within the
    server's limits is the service's decision, not the form's.
    """
    choice = data.get("expiry", "")
    if choice == "never":
        return None
    if choice == "date":
        try:
            day = date.fromisoformat(data.get("expires_on", ""))
        except ValueError:
            raise TokenRequestError("expires_at", "Choose the expiry date.") from None
        return timezone.make_aware(datetime.combine(day, time.min))
    if choice in {value for value, _label in expiry_choices()} and choice.isdigit():
        return now + timedelta(days=int(choice))
    raise TokenRequestError("expires_at", "Choose when the token expires.")


@token_page(["GET", "POST"])
def tokens_page(request: HttpRequest) -> HttpResponse:
    """List the user's credentials (GET); create a personal access token (POST)."""
    if request.method != "POST":
        return _render_page(request)
    user = request.user
    form = _submitted_form(request.POST)
    if not user.can_use_api_tokens:
        return _render_page(request, status=403, form=form, errors={"__all__": NOT_PERMITTED})
    try:
        issued = personal.issue_personal_token(
            user,
            name=form["name"],
            description=form["description"],
            scopes=form["scopes"],
            expires_at=requested_expiry(request.POST, timezone.now()),
            client=client_info(request, "web"),
        )
    except TokensNotPermittedError as exc:
        return _render_page(request, status=403, form=form, errors={"__all__": str(exc)})
    except TokenRequestError as exc:
        return _render_page(request, status=400, form=form, errors={exc.field: exc.message})
    return _render_page(request, created=issued, created_kind="personal")


@token_page(["GET", "POST"])
def create_offline_token(request: HttpRequest) -> HttpResponse:
    """Create an offline refresh token and show it once, on the Access Tokens page.

    A GET (such as the way back from the step-up page) only leads to the page.
    """
    if request.method != "POST":
        return redirect("web:tokens")
    try:
        issued = offline.issue_offline_token(
            request.user,
            name=request.POST.get("offline_name", ""),
            client=client_info(request, "web"),
        )
    except TokensNotPermittedError as exc:
        return _render_page(request, status=403, offline_errors={"__all__": str(exc)})
    except TokenRequestError as exc:
        return _render_page(request, status=400, offline_errors={"name": exc.message})
    return _render_page(request, created=issued, created_kind="offline")


@token_page(["GET", "POST"])
def revoke_all_personal_tokens(request: HttpRequest) -> HttpResponse:
    """Confirm, then revoke every live personal access token of the user."""
    user = request.user
    live = [row for row in _personal_rows(user) if row.status != "revoked"]
    if request.method == "POST":
        count = personal.revoke_all_personal_tokens(
            user, by=user, client=client_info(request, "web")
        )
        messages.success(request, _revoked_message(count, "personal access token"))
        return redirect("web:tokens")
    return render(request, "web/tokens_revoke_all.html", {"rows": live})


@token_page(["GET", "POST"])
def rotate_personal_token(request: HttpRequest, token_id: str) -> HttpResponse:
    """Confirm, then replace one of the user's personal tokens and show the new secret once.

    Anyone else's token is not found. A revoked or expired one cannot be rotated (409).
    """
    user = request.user
    token = personal.find_personal_token(int(token_id))
    if token is None or token.owner_id != user.pk:
        raise Http404("There is no such token.")
    context: dict[str, Any] = {"token": token, "status": personal.token_status(token)}
    if not user.can_use_api_tokens:
        return render(request, ROTATE_TEMPLATE, {**context, "error": NOT_PERMITTED}, status=403)
    if request.method != "POST":
        return render(request, ROTATE_TEMPLATE, context)
    try:
        issued = personal.rotate_personal_token(token, by=user, client=client_info(request, "web"))
    except TokenNotLiveError as exc:
        context |= {"status": personal.token_status(token), "error": str(exc)}
        return render(request, ROTATE_TEMPLATE, context, status=409)
    except TokensNotPermittedError as exc:
        return render(request, ROTATE_TEMPLATE, {**context, "error": str(exc)}, status=403)
    return render(request, ROTATE_TEMPLATE, {**context, "created": issued})


@token_page(["GET", "POST"])
def revoke_offline_token(request: HttpRequest, token_id: str) -> HttpResponse:
    """Confirm, then revoke one of the user's offline tokens; anyone else's is not found."""
    token = offline.find_offline_token(int(token_id))
    if token is None or token.owner_id != request.user.pk:
        raise Http404("There is no such token.")
    if request.method == "POST":
        revoked = offline.revoke_offline_token(
            token, by=request.user, client=client_info(request, "web")
        )
        messages.success(request, _revoked_message(int(revoked), "offline token"))
        return redirect("web:tokens")
    return render(request, "web/tokens_revoke_offline.html", {"token": token})


@token_page(["GET", "POST"])
def revoke_application(request: HttpRequest, application_id: str) -> HttpResponse:
    """Confirm, then withdraw an application's access: every token the user granted it ends."""
    authorization = _authorization(request.user, int(application_id))
    if request.method == "POST":
        ended = revoke_authorization(
            request.user,
            application_id=authorization.application_id,
            by=request.user,
            client=client_info(request, "web"),
        )
        messages.success(
            request,
            f"{authorization.name} no longer has access to your account "
            f"({ended} token{'' if ended == 1 else 's'} ended).",
        )
        return redirect("web:tokens")
    return render(request, "web/tokens_revoke_application.html", {"authorization": authorization})


def _authorization(user: User, application_id: int) -> Authorization:
    for authorization in authorizations_of(user):
        if authorization.application_id == application_id:
            return authorization
    raise Http404("No such application holds access to your account.")


def _personal_rows(user: User) -> list[PersonalTokenRow]:
    return [
        PersonalTokenRow(
            token=token,
            status=personal.token_status(token),
            last_address=token.last_addresses[0] if token.last_addresses else "",
        )
        for token in personal.list_personal_tokens(user)
    ]


def _submitted_form(data: QueryDict) -> dict[str, Any]:
    return {
        "name": data.get("name", ""),
        "description": data.get("description", ""),
        "scopes": data.getlist("scopes"),
        "expiry": data.get("expiry", ""),
        "expires_on": data.get("expires_on", ""),
    }


def _blank_form() -> dict[str, Any]:
    return {"name": "", "description": "", "scopes": list(ALL_SCOPES), "expiry": default_expiry()}


def _render_page(request: HttpRequest, *, status: int = 200, **extra: Any) -> HttpResponse:
    user = request.user
    rows = _personal_rows(user)
    context = {
        "rows": rows,
        "any_live": any(row.status != "revoked" for row in rows),
        "offline_tokens": offline.list_offline_tokens(user),
        "authorizations": [(a, sorted(a.scopes)) for a in authorizations_of(user)],
        "may_create": user.can_use_api_tokens,
        "all_scopes": ALL_SCOPES,
        "expiry_choices": expiry_choices(),
        "max_days": setting("PERSONAL_TOKEN_MAX_DAYS"),
        "today": timezone.localdate(),
        "time_zone": timezone.get_current_timezone_name(),
        "form": _blank_form(),
        "errors": {},
        "offline_errors": {},
        **extra,
    }
    return render(request, "web/tokens.html", context, status=status)


def _revoked_message(count: int, kind: str) -> str:
    if count == 0:
        return f"There was no live {kind} to revoke."
    if count == 1:
        return f"Revoked 1 {kind}. Requests that present it now fail."
    return f"Revoked {count} {kind}s. Requests that present them now fail."
