"""The package stands alone (no Django) and never shows a secret in a repr or message."""

from __future__ import annotations

import subprocess
import sys

import httpx
import pytest
import tokenward_client as tc
from tokenward_client._http import refusal

SECRET = "twp_S3cr3tS3cr3tS3cr3tS3cr3t"
PASSWORD = "correct horse battery staple"


def test_importing_the_package_loads_no_django():
    code = (
        "import sys, tokenward_client; print('django' in sys.modules, 'tokenward' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.split() == ["False", "False"]


@pytest.mark.parametrize(
    ("auth", "shown"),
    [
        (tc.BasicAuth("mwhite", PASSWORD), "mwhite"),
        (tc.PersonalToken(SECRET, transport="query"), "twp_"),
        (tc.ServiceToken(SECRET), "ServiceToken"),
        (tc.TuleapToken(SECRET, 7), "'7'"),
        (tc.OfflineTokenAuth(SECRET, access_token=SECRET + "jwt"), "twp_"),
        (tc.OAuth2Auth(SECRET, SECRET + "r", "client-1", client_secret=PASSWORD), "client-1"),
        (tc.OAuth2Tokens(SECRET, SECRET + "r", 3600, "read"), "read"),
        (tc.SessionAuth("mwhite", PASSWORD), "mwhite"),
    ],
    ids=lambda value: type(value).__name__ if not isinstance(value, str) else "",
)
def test_repr_masks_every_secret(auth, shown):
    text = repr(auth)

    assert shown in text
    assert "***" in text
    assert SECRET not in text
    assert "S3cr3t" not in text
    assert PASSWORD not in text


def test_a_refusal_message_masks_the_secrets_it_was_given():
    reply = httpx.Response(
        400,
        json={"error": "invalid_grant", "error_description": f"Unknown token {SECRET}."},
        request=httpx.Request("POST", "http://server.test/auth/token"),
    )

    error = refusal(reply, "Offline token refresh", (SECRET,), tc.TokenRefreshError)

    assert isinstance(error, tc.TokenRefreshError)
    assert error.status_code == 400
    assert error.error == "invalid_grant"
    assert error.error_description == "Unknown token ***."
    assert str(error) == (
        "Offline token refresh refused (HTTP 400): invalid_grant: Unknown token ***."
    )
    assert SECRET not in repr(error)


def test_a_refusal_with_the_api_error_body_uses_code_and_detail():
    reply = httpx.Response(
        401,
        json={"detail": "Invalid token.", "code": "invalid_token"},
        request=httpx.Request("DELETE", "http://server.test/api/tokens/x"),
    )

    error = refusal(reply, "Ending the Tuleap token")

    assert (error.status_code, error.error, error.error_description) == (
        401,
        "invalid_token",
        "Invalid token.",
    )


def test_unknown_personal_token_transport_is_refused():
    with pytest.raises(ValueError, match="transport must be one of"):
        tc.PersonalToken(SECRET, transport="cookie")  # type: ignore[arg-type]
