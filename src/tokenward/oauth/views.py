"""OAuth2 endpoints around DOT's views: consent page, token, introspection, registration page."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods
from oauth2_provider import views as dot_views
from oauth2_provider.models import get_access_token_model
from oauth2_provider.signals import app_authorized
from oauth2_provider.views.mixins import OAuthLibMixin
from rest_framework.request import Request

from tokenward.authn.client import client_info
from tokenward.authn.issuing import Issuing
from tokenward.ids import parse_id
from tokenward.oauth import services
from tokenward.tracker.models import Project
from tokenward.web.cookieless import CookielessView
from tokenward.web.security import credential_page, issuing_reply
from tokenward.web.step_up import confirmed_or_refusal


class AuthorizationView(dot_views.AuthorizationView):
    """DOT's authorization endpoint with tokenward's consent page."""

    template_name = "oauth/authorize.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        """Show the consent page as ``REQUEST_APPROVAL_PROMPT`` says, whatever the client asks.

        DOT lets a client's ``approval_prompt=auto`` override that setting and skip consent
        for an application already holding a token: then any page could send a user through
        an application's authorization without the user seeing it. The parameter is dropped.
        """
        if "approval_prompt" in request.GET:
            query = request.GET.copy()
            del query["approval_prompt"]
            request.GET = query
        return super().get(request, *args, **kwargs)


@method_decorator(issuing_reply, name="dispatch")
class TokenView(dot_views.TokenView):
    """DOT's token endpoint, hardened for parallel refreshes of one refresh token.

    Two races in DOT 3.4.1 with hashed token storage (seen with gunicorn workers on
    SQLite, where ``select_for_update`` is a no-op): a request that loses may be answered
    200 with the winner's pair read back from the database, which holds only checksums,
    so both tokens are empty strings; and DOT reads the new access token back to send
    ``app_authorized`` after a concurrent reuse may have revoked (deleted) it, raising.
    The first becomes ``invalid_grant``; the second skips the signal.
    """

    @method_decorator(sensitive_post_parameters("password", "client_secret"))
    def authorization_flow_token_response(
        self, request: HttpRequest, *args: Any, **kwargs: Any
    ) -> HttpResponse:
        _url, headers, body, status = self.create_token_response(request)
        if status == 200:
            value = json.loads(body).get("access_token")
            if not value:
                status = 400
                body = json.dumps(
                    {
                        "error": "invalid_grant",
                        "error_description": "The refresh token was already used.",
                    }
                )
            else:
                checksum = hashlib.sha256(value.encode()).hexdigest()
                token = get_access_token_model().objects.filter(token_checksum=checksum).first()
                if token is not None:
                    app_authorized.send(sender=self, request=request, token=token)
        if status >= 400:
            services.record_token_refused(
                request.POST.get("grant_type", ""),
                _error_of(body),
                client_info(request, services.METHOD),
            )
        response = HttpResponse(content=body, status=status, content_type="application/json")
        for name, header in headers.items():
            response[name] = header
        return response


def _error_of(body: str) -> str:
    """Return the RFC 6749 ``error`` of a token endpoint reply, or "" if it has none."""
    try:
        error = json.loads(body).get("error", "")
    except (ValueError, AttributeError):
        return ""
    return error if isinstance(error, str) else ""


class RevokeTokenView(dot_views.RevokeTokenView):
    """DOT's RFC 7009 endpoint, audited: a token that was live before and is gone after."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        value = request.POST.get("token", "")
        before = services.live_token(value) if value else None
        response = super().post(request, *args, **kwargs)
        if before is not None and response.status_code == 200 and not services.live_token(value):
            services.record_token_revoked(before, client_info(request, "oauth_revoke"))
        return response


@method_decorator(never_cache, name="dispatch")
class IntrospectView(OAuthLibMixin, CookielessView):
    """RFC 7662 introspection: POST only, and only for an authenticated client.

    DOT's own view also accepts a bearer token and the token in the query string, and
    answers an unauthenticated caller with a bare 403; this one answers 401.
    """

    http_method_names = ["post"]

    def post(self, request: Request, *args: Any, **kwargs: Any) -> HttpResponse:
        django_request = request._request  # what DOT's oauthlib glue reads
        if not self.authenticate_client(django_request):
            response = JsonResponse(
                {"error": "invalid_client", "error_description": "Client authentication failed."},
                status=401,
            )
            response["WWW-Authenticate"] = 'Basic realm="tokenward"'
            return response
        return dot_views.IntrospectTokenView.get_token_response(django_request.POST.get("token"))


@credential_page
@require_http_methods(["GET", "POST"])
@login_required
def applications_page(request: HttpRequest) -> HttpResponse:
    """List the applications you manage and register one; its secret is shown once.

    Site administrators register for any project or none, a project's leader for their
    projects only; a refused registration writes nothing (403, or 400 for a bad field).
    Registering needs a fresh password confirmation (step-up), as minting a token does.
    """
    registered = error = None
    status = 200
    posted: dict[str, str] = {}
    if request.method == "POST":
        if (refused := confirmed_or_refusal(request, Issuing.OAUTH_APPLICATION)) is not None:
            return refused
        posted = {name: request.POST.get(name, "") for name in _APPLICATION_FIELDS}
        try:
            registered = services.register_application(
                request.user,
                name=posted["name"],
                redirect_uris=posted["redirect_uris"].split(),
                client_type=posted["client_type"],
                project=_posted_project(posted["project"]),
                client=client_info(request, "web"),
            )
            posted = {}
        except services.ApplicationNotPermittedError as exc:
            error, status = str(exc), 403
        except services.ApplicationRequestError as exc:
            error, status = str(exc), 400
    user = request.user
    projects = Project.objects.all() if user.is_administrator else user.led_projects.all()
    context = {
        "applications": services.applications_for(user),
        "projects": projects.order_by("short_name"),
        "registered": registered,
        "error": error,
        "posted": posted,
        "section": "applications",
    }
    return render(request, "oauth/applications.html", context, status=status)


_APPLICATION_FIELDS = ("name", "redirect_uris", "client_type", "project")


def _posted_project(value: str) -> Project | None:
    """Return the project a registration names; None for none. A bad id is a bad request."""
    if not value:
        return None
    project_id = parse_id(value)
    project = None if project_id is None else Project.objects.filter(pk=project_id).first()
    if project is None:
        raise services.ApplicationRequestError("project", "There is no such project.")
    return project
