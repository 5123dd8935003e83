"""The web pages' views: start page, log in, profile, token revocation (log out is Django's)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from tokenward.accounts import site
from tokenward.authn.client import client_info
from tokenward.tokens import personal


class LoginView(auth_views.LoginView):
    """Django's login form; with it disabled (``accounts.site``), a pointer to single sign-on.

    With the form disabled the page shows no password field and a posted form is refused
    with 403, logging nobody in.
    """

    template_name = "web/login.html"
    redirect_authenticated_user = True

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not site.login_form_enabled():
            return self.render_to_response(self.get_context_data(), status=403)
        return super().post(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), "form_enabled": site.login_form_enabled()}


def home(request: HttpRequest) -> HttpResponse:
    """Send people to their profile, or to the login page if they are not logged in."""
    return redirect("web:profile" if request.user.is_authenticated else "web:login")


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    """Show the logged-in account's details."""
    return render(request, "web/profile.html", {"account": request.user})


@require_http_methods(["GET", "POST"])
@login_required
def revoke_token(request: HttpRequest, token_id: str) -> HttpResponse:
    """Confirm, then revoke one personal access token: the link in the new-token e-mail.

    Owners revoke their own tokens, administrators anyone's; any other token is not found.
    """
    token = personal.find_personal_token(int(token_id))
    user = request.user
    if token is None or (token.owner_id != user.pk and not user.is_administrator):
        raise Http404("There is no such token.")
    revoked = False
    if request.method == "POST":
        revoked = personal.revoke_personal_token(token, by=user, client=client_info(request, "web"))
        token.refresh_from_db()
    return render(request, "web/revoke_token.html", {"token": token, "revoked": revoked})
