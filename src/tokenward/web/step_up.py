"""Step-up: a local user confirms their password again before managing credentials.

A stolen or unattended session alone must not mint tokens. The proof (``authn.issuing``,
which holds the rule for every door) is a timestamp in the session, good for
``STEP_UP_SECONDS``; a log-in through the form records one too. Single sign-on users are
never asked, since they have no password here and their proxy vouches for every request.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from tokenward.accounts import lockout
from tokenward.audit.models import Action
from tokenward.audit.services import record_event
from tokenward.authn import issuing
from tokenward.authn.client import client_info
from tokenward.authn.issuing import needs_step_up
from tokenward.web.security import credential_page

WRONG_PASSWORD = "That password is not correct."  # noqa: S105  (a message, not a secret)
EXPIRED = "Confirm your password, then do it again: nothing was changed."

View = Callable[..., HttpResponse]


def has_fresh_proof(request: HttpRequest) -> bool:
    """Return True if this session's user confirmed their password within the window."""
    return issuing.has_fresh_proof(request.session, request.user)


def record_proof(request: HttpRequest) -> None:
    """Remember in the session that its user has just confirmed their password."""
    issuing.record_proof(request.session, request.user)


def refusal(request: HttpRequest, target: str) -> HttpResponse:
    """Return the 403 confirm form for a POST made without a fresh proof; ``next`` is
    ``target``. The caller has written nothing."""
    context = {"next": target, "error": EXPIRED}
    return render(request, "web/step_up.html", context, status=403)


def step_up_required(view: View) -> View:
    """Let ``view`` run only for a logged-in user with a fresh proof, or a single sign-on one.

    Anonymous visitors go to log in. Without a fresh proof a GET is sent to the confirm page
    with ``next=`` pointing back; any other method is refused with 403 and the confirm form,
    and the view does not run, so nothing is written.
    """

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not needs_step_up(request.user) or has_fresh_proof(request):
            return view(request, *args, **kwargs)
        if request.method in ("GET", "HEAD"):
            query = urlencode({"next": request.get_full_path()})
            return redirect(f"{reverse('web:step-up')}?{query}")
        return refusal(request, request.path)

    return login_required(wrapped)


@credential_page
@require_http_methods(["GET", "POST"])
@login_required
def confirm_password(request: HttpRequest) -> HttpResponse:
    """Ask for the password again; on success go on to ``next`` (a page of this site only).

    A wrong password is answered 400, audited as a failed use and counted towards the
    account's lockout (``accounts.lockout``): a stolen session must not be a way to guess
    the password without limit. While locked out the form comes back with 429 and
    ``Retry-After``, and the password is not checked.
    """
    user = request.user
    target = _safe_next(request, request.POST.get("next") or request.GET.get("next", ""))
    if not needs_step_up(user):
        return redirect(target)
    if request.method == "POST":
        try:
            confirmed = password_confirmed(request, request.POST.get("password", ""))
        except lockout.LockedOut as locked:
            response = render(
                request, "web/step_up.html", {"next": target, "error": locked.detail}, status=429
            )
            response["Retry-After"] = str(locked.retry_after)
            return response
        if confirmed:
            return redirect(target)
        context = {"next": target, "error": WRONG_PASSWORD, "field_error": True}
        return render(request, "web/step_up.html", context, status=400)
    return render(request, "web/step_up.html", {"next": target})


def password_confirmed(request: HttpRequest, password: str) -> bool:
    """Return True if ``password`` is the logged-in user's, and record a fresh proof.

    Raise ``lockout.LockedOut`` while locked out, before any hashing. A wrong password is
    audited as a failed use and counted towards the account's lockout: a stolen session
    must not be a way to guess the password without limit.
    """
    user = request.user
    client = client_info(request, "step_up", with_origin=False)
    lockout.enforce(user.login, client, actor=user)
    if user.check_password(password):
        lockout.reset(user.login, client.address)
        record_proof(request)
        return True
    lockout.record_failure(user.login, client.address)
    record_event(
        Action.FAILED,
        credential_kind="password",
        client=client,
        actor=user,
        subject=user,
        reason="wrong_password",
    )
    return False


def confirmed_or_refusal(request: HttpRequest, action: issuing.Issuing) -> HttpResponse | None:
    """Return None if this session may do ``action`` now (``authn.issuing``); else the 403
    confirm form, leading back to this page."""
    try:
        issuing.check_may_issue(
            action, request.user, method=issuing.SESSION_METHOD, session=request.session
        )
    except issuing.IssuingRefusedError:
        return refusal(request, request.path)
    return None


def _safe_next(request: HttpRequest, candidate: str) -> str:
    allowed = url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return candidate if allowed and candidate.startswith("/") else reverse("web:tokens")
