"""The administration pages: users, one user, site settings and the audit log.

Only administrators reach them. Forms check the shape of what was posted; the accounts and
audit services apply the rules the API applies too, and write and audit the changes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from tokenward.accounts import lockout, site
from tokenward.accounts import services as accounts
from tokenward.accounts.models import User
from tokenward.audit import filters as audit_filters
from tokenward.audit.views import AuditEventPagination
from tokenward.authn.client import client_info
from tokenward.authn.issuing import Issuing
from tokenward.conf import setting
from tokenward.web import errors
from tokenward.web.admin_forms import (
    AccountForm,
    AuditFilterForm,
    NewUserForm,
    PasswordForm,
    SiteSettingsForm,
)
from tokenward.web.step_up import WRONG_PASSWORD, confirmed_or_refusal, password_confirmed

AUDIT_PAGE_SIZE = 50
METHOD = "web"
View = Callable[..., HttpResponse]


def administrator_required(view: View) -> View:
    """Let administrators through; others get 403, anonymous visitors the login page.

    Every answer, the refusals too, is marked never to be cached.
    """

    @never_cache
    @require_http_methods(["GET", "POST"])
    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_administrator:
            return errors.error_page(
                request, 403, "Only administrators may open the administration pages."
            )
        return view(request, *args, **kwargs)

    return wrapped


@sensitive_post_parameters("password")
@administrator_required
def users(request: HttpRequest) -> HttpResponse:
    """List the users, optionally those whose login holds ``q``; create one."""
    form = NewUserForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        data = {name: value for name, value in form.cleaned_data.items()}
        data["password"] = data["password"] or None
        try:
            created = accounts.administer_new_user(
                by=request.user, client=client_info(request, METHOD), **data
            )
        except accounts.AccountError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Created the account {created.login}.")
            return redirect("web:admin-user", user_id=created.pk)
    query = request.GET.get("q", "").strip()[:150]
    found = User.objects.order_by("login")
    if query:
        found = found.filter(login__icontains=query)
    context = {"users": found, "query": query, "form": form, "section": "users"}
    return render(request, "web/admin/users.html", context, status=400 if form.errors else 200)


@sensitive_post_parameters("password", "confirmation", "current_password")
@administrator_required
def user(request: HttpRequest, user_id: str) -> HttpResponse:
    """Show one user; change their role, activation, API permission, sign-in or password.

    Setting a password, anyone's, needs a fresh confirmation of one's own (step-up), and
    setting one's own asks for the current one too.
    """
    account = User.objects.filter(pk=int(user_id)).first()
    if account is None:
        raise Http404("There is no such user.")
    own = account.pk == request.user.pk
    account_form = AccountForm(initial=_account_values(account))
    password_form = PasswordForm(own=own)
    changed = False
    if request.method == "POST":
        which = request.POST.get("form")
        if which == "account":
            account_form = AccountForm(request.POST)
            changed = _change_account(request, account, account_form)
        elif which == "password":
            if (refused := confirmed_or_refusal(request, Issuing.PASSWORD)) is not None:
                return refused
            password_form = PasswordForm(request.POST, own=own)
            changed = _change_password(request, account, password_form)
        else:
            return errors.error_page(request, 400, "The form posted is not one of this page's.")
        if changed:
            return redirect("web:admin-user", user_id=account.pk)
    context = {
        "account": account,
        "account_form": account_form,
        "password_form": password_form,
        "section": "users",
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "web/admin/user.html", context, status=status)


def _account_values(account: User) -> dict[str, Any]:
    return {name: getattr(account, name) for name in accounts.ACCOUNT_FIELDS}


def _change_account(request: HttpRequest, account: User, form: AccountForm) -> bool:
    if not form.is_valid():
        return False
    try:
        changed = accounts.update_account(
            account, form.cleaned_data, by=request.user, client=client_info(request, METHOD)
        )
    except accounts.AccountFieldError as exc:
        account.refresh_from_db()
        form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        return False
    names = ", ".join(AccountForm.base_fields[name].label or name for name in changed)
    messages.success(request, f"Saved: {names}." if changed else "Nothing changed.")
    return True


def _change_password(request: HttpRequest, account: User, form: PasswordForm) -> bool:
    if not form.is_valid() or not _current_password_confirmed(request, form):
        return False
    try:
        accounts.administer_password(
            account,
            form.cleaned_data["password"],
            by=request.user,
            client=client_info(request, METHOD),
        )
    except accounts.AccountError as exc:
        form.add_error(None if account.is_sso else "password", str(exc))
        return False
    if account.pk == request.user.pk:
        update_session_auth_hash(request, account)  # keep this session; end the others
    messages.success(request, f"Set a new password for {account.login}.")
    return True


def _current_password_confirmed(request: HttpRequest, form: PasswordForm) -> bool:
    """Return True unless the form asks for the current password and it is not given right."""
    if "current_password" not in form.cleaned_data:
        return True
    try:
        if password_confirmed(request, form.cleaned_data["current_password"]):
            return True
    except lockout.LockedOut as locked:
        form.add_error("current_password", locked.detail)
        return False
    form.add_error("current_password", WRONG_PASSWORD)
    return False


@administrator_required
def settings_page(request: HttpRequest) -> HttpResponse:
    """Enable or disable the login form; disabling it needs single sign-on configured."""
    current = "enabled" if site.login_form_enabled() else "disabled"
    form = SiteSettingsForm(request.POST if request.method == "POST" else None)
    if request.method == "GET":
        form = SiteSettingsForm(initial={"login_form": current})
    elif form.is_valid():
        enabled = form.cleaned_data["login_form"] == "enabled"
        try:
            site.set_login_form_enabled(
                enabled, by=request.user, client=client_info(request, METHOD)
            )
        except site.SiteSettingsError as exc:
            form.add_error("login_form", str(exc))
        else:
            messages.success(
                request, f"Saved: the login form is {form.cleaned_data['login_form']}."
            )
            return redirect("web:admin-settings")
    context = {
        "form": form,
        "current": current,
        "chosen": site.last_change(),
        "sso_header": setting("SSO_HEADER"),
        "section": "settings",
    }
    return render(request, "web/admin/settings.html", context, status=400 if form.errors else 200)


@administrator_required
def audit(request: HttpRequest) -> HttpResponse:
    """The audit log, newest first, filtered by the API's rules and paged."""
    form = AuditFilterForm(request.GET)
    events = page = csv_url = None
    if form.is_valid():
        filters, problems = audit_filters.validate_filters(form.api_filters())
        for name, messages_ in problems.items():
            form.add_error(name if name in form.fields else None, messages_)
        if not problems:
            events = audit_filters.filter_events(audit_filters.newest_events(), filters)
            page = Paginator(events, AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
            csv_url = _audit_csv_url(form.api_filters())
    context = {
        "form": form,
        "page": page,
        "csv_url": csv_url,
        "csv_limit": AuditEventPagination.max_limit,
        "section": "audit",
    }
    return render(request, "web/admin/audit.html", context, status=400 if form.errors else 200)


def _audit_csv_url(filters: Mapping[str, Any]) -> str:
    """Return the audit API's CSV of these filters: its largest page, the newest events.

    The API takes this page's session cookie; its ``Link`` header pages further.
    """
    params = {
        name: value.isoformat() if isinstance(value, dt.datetime) else value
        for name, value in filters.items()
    }
    query = {"format": "csv", **params, "limit": AuditEventPagination.max_limit}
    return f"{reverse('audit-event-list')}?{urlencode(query)}"
