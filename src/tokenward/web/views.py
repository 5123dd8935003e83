"""The web pages' views: start page, log in, profile, token revocation (log out is Django's)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from tokenward.accounts import lockout, site
from tokenward.authn import issuing
from tokenward.authn.client import client_info
from tokenward.tokens import personal

METHOD = "login_form"


class LoginForm(AuthenticationForm):
    """Django's login form, held to the lockout, and telling no refusal from another.

    An inactive account gets the same error as a wrong password (Django's form says "This
    account is inactive.", which tells that the login exists and the password was right).
    ``locked_out`` is set when the attempt was refused by the lockout, before any hashing.
    """

    locked_out: lockout.LockedOut | None = None

    def clean(self) -> dict[str, Any]:
        login = self.cleaned_data.get("username")
        if login is None or not self.cleaned_data.get("password"):
            return super().clean()  # a missing field: Django's own errors, nothing hashed
        client = client_info(self.request, METHOD, with_origin=False)
        try:
            lockout.enforce(login, client)
        except lockout.LockedOut as locked:
            self.locked_out = locked
            raise ValidationError(locked.detail, code=lockout.REASON) from None
        try:
            cleaned = super().clean()
        except ValidationError:
            # No user: the password was wrong or the login unknown. A user: the password was
            # right and the account refused (inactive), which clears its counter as a login.
            if self.user_cache is None:
                lockout.record_failure(login, client.address)
            else:
                lockout.reset(login, client.address)
            raise
        lockout.reset(login, client.address)
        return cleaned

    def confirm_login_allowed(self, user: Any) -> None:
        if not user.is_active:
            raise self.get_invalid_login_error()


class LoginView(auth_views.LoginView):
    """Django's login form; with it disabled (``accounts.site``), a pointer to single sign-on.

    A log-in counts as a fresh password confirmation for ``STEP_UP_SECONDS``.

    With the form disabled the page shows no password field and a posted form is refused
    with 403, logging nobody in. While the login or the address is locked out the form is
    shown again with 429, ``Retry-After`` and the reason.
    """

    template_name = "web/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not site.login_form_enabled():
            return self.render_to_response(self.get_context_data(), status=403)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form: LoginForm) -> HttpResponse:
        # The password was just typed: that is a fresh confirmation (step-up), so the page
        # the user was going to (/auth/offline-token, /profile/tokens/) opens at once.
        response = super().form_valid(form)
        issuing.record_proof(self.request.session, form.get_user())
        return response

    def form_invalid(self, form: LoginForm) -> HttpResponse:
        response = super().form_invalid(form)
        if form.locked_out is not None:
            response.status_code = 429
            response["Retry-After"] = str(form.locked_out.retry_after)
        return response

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        # Django's LoginView puts the target under "next" but not the field's name, which the
        # template needs to carry it through the form (without it the hidden field was nameless
        # and every log-in landed on the profile).
        return {
            **super().get_context_data(**kwargs),
            "form_enabled": site.login_form_enabled(),
            "redirect_field_name": self.redirect_field_name,
        }


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
