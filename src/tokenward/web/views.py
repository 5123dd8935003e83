"""The web pages' views: start page, profile, token revocation (log in and out are Django's)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from tokenward.authn.client import client_info
from tokenward.tokens import personal


def home(request: HttpRequest) -> HttpResponse:
    """Send people to their profile, or to the login page if they are not logged in."""
    return redirect("web:profile" if request.user.is_authenticated else "web:login")


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    """Show the logged-in account's details."""
    return render(request, "web/profile.html", {"account": request.user})


@require_http_methods(["GET", "POST"])
@login_required
def revoke_token(request: HttpRequest, token_id: int) -> HttpResponse:
    """Confirm, then revoke one personal access token: the link in the new-token e-mail.

    Owners revoke their own tokens, administrators anyone's; any other token is not found.
    """
    token = personal.find_personal_token(token_id)
    user = request.user
    if token is None or (token.owner_id != user.pk and not user.is_administrator):
        raise Http404("There is no such token.")
    revoked = False
    if request.method == "POST":
        revoked = personal.revoke_personal_token(token, by=user, client=client_info(request, "web"))
        token.refresh_from_db()
    return render(request, "web/revoke_token.html", {"token": token, "revoked": revoked})
