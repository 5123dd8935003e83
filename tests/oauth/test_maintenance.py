"""``tokenward maintain`` leaves expired OAuth2 rows to django-oauth-toolkit's clear_expired()."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from oauth2_provider.models import AccessToken, Grant, RefreshToken
from oauth2_provider.settings import oauth2_settings

from tests.oauth.conftest import REDIRECT_URI, authorize_query, consent, pkce_pair
from tokenward.oauth.models import RedeemedCode
from tokenward.tokens import maintenance

pytestmark = pytest.mark.django_db


def test_expired_oauth_rows_go_through_the_toolkits_clear_expired(member, make_app, obtain_tokens):
    with time_machine.travel(datetime(2026, 3, 2, 9, 0, tzinfo=UTC), tick=False) as clock:
        app = make_app()
        obtain_tokens(app, member)  # a pair: access 1 hour, refresh 30 days after that
        browser = Client()
        browser.force_login(member)
        _verifier, challenge = pkce_pair()
        location = consent(browser, authorize_query(app, challenge))  # a grant never exchanged
        assert location.startswith(REDIRECT_URI) and parse_qs(urlsplit(location).query)["code"]
        clock.shift(timedelta(days=30, hours=1, seconds=1))
        obtain_tokens(app, member)

        result = maintenance.clear_oauth_rows()

        assert result.line() == (
            "oauth: removed 1 access tokens, 1 refresh tokens, 0 ID tokens, 1 grants, "
            "1 redeemed codes"
        )
        assert RedeemedCode.objects.count() == 1  # the fresh pair's code, kept
        assert AccessToken.objects.count() == RefreshToken.objects.count() == 1
        assert Grant.objects.count() == 0
        assert AccessToken.objects.get().expires > timezone.now()  # the fresh pair stays


def test_the_toolkit_deletes_in_batches_of_the_maintenance_size():
    assert oauth2_settings.CLEAR_EXPIRED_TOKENS_BATCH_SIZE == 500
    assert oauth2_settings.CLEAR_EXPIRED_TOKENS_BATCH_INTERVAL == 0
