"""TargetData's paths: the offline-token page, ``POST /auth/token`` and the JWKS.

``/auth/token`` answers exactly the seed's fields, and RFC 6749 §5.2 errors. It is an API
taking no cookie, so it needs no CSRF token; the page is a logged-in form that does.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.decorators import method_decorator
from django.views.decorators.http import require_http_methods
from rest_framework.request import Request

from tokenward.authn.client import client_info
from tokenward.credentials.jwt_keys import jwks
from tokenward.errors import CredentialError
from tokenward.ids import parse_id
from tokenward.tokens import offline
from tokenward.tokens.errors import TokenRequestError, TokensNotPermittedError
from tokenward.web.cookieless import CookielessView
from tokenward.web.security import credential_page, issuing_reply
from tokenward.web.step_up import step_up_required

SCOPE = "offline_access"
FORM_TYPE = "application/x-www-form-urlencoded"


def _oauth_error(error: str, description: str, status: int = 400) -> HttpResponse:
    return JsonResponse({"error": error, "error_description": description}, status=status)


@method_decorator(issuing_reply, name="dispatch")
class TokenView(CookielessView):
    """Trade an offline refresh token for a one-hour JWT access token (the seed's reply)."""

    http_method_names = ["post"]

    def post(self, request: Request) -> HttpResponse:
        django_request = request._request  # Django's parsing: bare media type, form fields
        if django_request.content_type != FORM_TYPE:
            return _oauth_error("invalid_request", f"Send the fields as {FORM_TYPE}.")
        grant_type = django_request.POST.get("grant_type", "refresh_token")
        if grant_type != "refresh_token":
            return _oauth_error(
                "unsupported_grant_type", "Only grant_type=refresh_token is supported."
            )
        values = django_request.POST.getlist("refresh_token")
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
        return JsonResponse(body)


class JWKSView(CookielessView):
    """Publish the public keys that verify access tokens (RFC 7517); GET only."""

    http_method_names = ["get"]  # HEAD too is a 405, as it always was

    def get(self, request: Request) -> HttpResponse:
        response = JsonResponse(jwks())
        response["Cache-Control"] = "public, max-age=300"
        return response


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
    return render(request, "web/offline_token.html", context, status=status)


def _own_token(request: HttpRequest, raw_id: str) -> offline.OfflineToken:
    token_id = parse_id(raw_id)  # "²" passed isdigit() and failed int(): a 500
    record = offline.find_offline_token(token_id) if token_id is not None else None
    if record is None or record.owner_id != request.user.pk:
        raise Http404("There is no such token.")
    return record
