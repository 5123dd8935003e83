"""The administration pages' forms: they check shape only; services apply the rules."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone

from tokenward.accounts.models import AccountType, Role
from tokenward.audit.models import Action

LOGIN_FORM_CHOICES = [
    ("enabled", "Enabled: people log in with their login and password"),
    ("disabled", "Disabled: single sign-on only"),
]


class NewUserForm(forms.Form):
    """A new account; without a password a local account has none until one is set."""

    login = forms.CharField(max_length=150)
    full_name = forms.CharField(max_length=200, required=False, label="Full name")
    email = forms.EmailField(required=False, label="E-mail")
    role = forms.ChoiceField(choices=Role.choices, initial=Role.USER)
    account_type = forms.ChoiceField(
        choices=AccountType.choices, initial=AccountType.LOCAL, label="Sign-in"
    )
    password = forms.CharField(
        required=False,
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="Optional; single-sign-on accounts have none.",
    )


class AccountForm(forms.Form):
    """An account's role, activation, API permission and sign-in kind."""

    role = forms.ChoiceField(choices=Role.choices)
    account_type = forms.ChoiceField(choices=AccountType.choices, label="Sign-in")
    is_active = forms.BooleanField(required=False, label="Active")
    can_use_api_tokens = forms.BooleanField(required=False, label="Can use API tokens")


class PasswordForm(forms.Form):
    """A new password, typed twice; the password validators run in the service.

    Setting one's own (``own``) asks for the current password as well: a session left
    open must not be enough to take the account over. The page checks it.
    """

    password = forms.CharField(
        strip=False,
        max_length=4096,
        label="New password",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    confirmation = forms.CharField(
        strip=False,
        max_length=4096,
        label="Repeat the new password",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args: Any, own: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if own:
            self.fields = {
                "current_password": forms.CharField(
                    strip=False,
                    max_length=4096,
                    label="Current password",
                    widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
                ),
                **self.fields,
            }

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("password") and data.get("password") != data.get("confirmation"):
            self.add_error("confirmation", "The two passwords differ.")
        return data


class SiteSettingsForm(forms.Form):
    login_form = forms.ChoiceField(
        choices=LOGIN_FORM_CHOICES, widget=forms.RadioSelect, label="Login form"
    )


class AuditFilterForm(forms.Form):
    """The audit log's filters as a page offers them: whole days rather than instants."""

    user = forms.CharField(required=False, max_length=150, label="User (login)")
    action = forms.ChoiceField(
        required=False, choices=[("", "Any outcome"), *Action.choices], label="Outcome"
    )
    method = forms.CharField(required=False, max_length=40, label="Method")
    since = forms.DateField(
        required=False, label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        required=False, label="To (inclusive)", widget=forms.DateInput(attrs={"type": "date"})
    )

    def api_filters(self) -> dict[str, Any]:
        """Return the cleaned filters as the audit API's query parameters.

        Dates are days in the server's time zone; "to" includes its whole day.
        """
        data = {name: value for name, value in self.cleaned_data.items() if value}
        if "since" in data:
            data["since"] = _start_of(data["since"])
        if "until" in data:
            if data["until"] == dt.date.max:  # the end of time: no upper bound
                del data["until"]
            else:
                data["until"] = _start_of(data["until"] + dt.timedelta(days=1))
        return data


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))
