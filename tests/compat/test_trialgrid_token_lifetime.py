"""TrialGrid's ``api-token-auth`` obeys the server's longest token lifetime like every path.

The token API and the Access Tokens page have their own tests of PERSONAL_TOKEN_MAX_DAYS
(tests/tokens/test_management_api.py, tests/web/test_access_tokens_page.py); the CLI creates
no tokens.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from tokenward.tokens.models import PersonalAccessToken

pytestmark = pytest.mark.django_db

MINT = "/api/v2/api-token-auth/"
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(("max_days", "expires_at"), [(30, NOW + timedelta(days=30)), (None, None)])
def test_a_minted_token_expires_at_the_servers_longest_lifetime(
    api, member, settings, max_days, expires_at
):
    settings.TOKENWARD = {**settings.TOKENWARD, "PERSONAL_TOKEN_MAX_DAYS": max_days}

    with time_machine.travel(NOW, tick=False):
        response = api.post(
            MINT, {"username": member.login, "password": member.raw_password}, format="json"
        )

    assert response.status_code == 200
    assert list(response.json()) == ["token"]
    row = PersonalAccessToken.objects.get()
    assert (row.owner, row.created_at, row.expires_at) == (member, NOW, expires_at)
