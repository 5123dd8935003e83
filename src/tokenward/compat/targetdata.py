"""TargetData's paths: the offline-token page, ``POST /auth/token`` and the JWKS.

``/auth/token`` answers exactly the seed's fields, and RFC 6749 §5.2 errors. It is an API
taking no cookie, so it needs no CSRF token; the page is a logged-in form that does.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tokenward.authn.client import client_info
from tokenward.credentials.jwt_keys import jwks
from tokenward.errors import CredentialError
from tokenward.tokens import offline
from tokenward.tokens.errors import TokenRequestError, TokensNotPermittedError
from tokenward.web.security import credential_page
from tokenward.web.step_up import step_up_required

SCOPE = "offline_access"
FORM_TYPE = "application/x-www-form-urlencoded"


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    response["Pragma"] = "no-cache"
    return response


def _oauth_error(error: str, description: str, status: int = 400) -> HttpResponse:
    return _no_store(
        JsonResponse({"error": error, "error_description": description}, status=status)
    )


@csrf_exempt
@require_POST
def token(request: HttpRequest) -> HttpResponse:
    """Trade an offline refresh token for a one-hour JWT access token (the seed's reply)."""
    if request.content_type != FORM_TYPE:
        return _oauth_error("invalid_request", f"Send the fields as {FORM_TYPE}.")
    grant_type = request.POST.get("grant_type", "refresh_token")
    if grant_type != "refresh_token":
        return _oauth_error("unsupported_grant_type", "Only grant_type=refresh_token is supported.")
    values = request.POST.getlist("refresh_token")
    if len(values) != 1 or not values[0]:
        return _oauth_error("invalid_request", "Send exactly one refresh_token field.")
    try:
        issued = offline.refresh_access_token(values[0], client_info(request, "offline_token"))
    except CredentialError as error:
        # A mistyped or truncated token is as invalid a grant as a revoked one (Keycloak,
        # whose reply this is, says invalid_grant too): the client's cue to get a new one.
        return _oauth_error("invalid_grant", error.detail)
    body = {
        "access_token": issued.value,
        "expires_in": issued.expires_in,
        "refresh_expires_in": 0,
        "refresh_token": values[0],
        "token_type": "Bearer",
        "session_state": str(issued.offline.session_id),
        "scope": SCOPE,
    }
    return _no_store(JsonResponse(body))


@require_GET
def jwks_document(request: HttpRequest) -> HttpResponse:
    """Publish the public keys that verify access tokens (RFC 7517)."""
    response = JsonResponse(jwks())
    response["Cache-Control"] = "public, max-age=300"
    return response


@never_cache
@credential_page
@require_http_methods(["GET", "POST"])
@login_required
@step_up_required
def offline_token_page(request: HttpRequest) -> HttpResponse:
    """List, create (shown once) and revoke the logged-in user's offline tokens."""
    user = request.user
    created = None
    error = ""
    status = 200
    if request.method == "POST":
        client = client_info(request, "web")
        if "revoke" in request.POST:
            record = _own_token(request, request.POST.get("revoke", ""))
            offline.revoke_offline_token(record, by=user, client=client)
        else:
            try:
                created = offline.issue_offline_token(
                    user, client=client, name=request.POST.get("name", "")
                )
            except (TokensNotPermittedError, TokenRequestError) as exc:
                error, status = str(exc), 403 if isinstance(exc, PermissionError) else 400
    context = {
        "created": created,
        "error": error,
        "tokens": offline.list_offline_tokens(user),
        "may_create": user.can_use_api_tokens,
    }
    response = render(request, "web/offline_token.html", context, status=status)
    return _no_store(response)


def _own_token(request: HttpRequest, raw_id: str) -> offline.OfflineToken:
    valid = raw_id.isdigit() and len(raw_id) <= 18  # beyond that no row, and SQLite overflows
    record = offline.find_offline_token(int(raw_id)) if valid else None
    if record is None or record.owner_id != request.user.pk:
        raise Http404("There is no such token.")
    return record
