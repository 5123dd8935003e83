"""tokenward's OAuth2 validator: one refresh token yields at most one new pair, even in parallel."""

from __future__ import annotations

from typing import Any

from oauth2_provider.models import get_refresh_token_model
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauthlib.oauth2.rfc6749 import errors


class TokenwardOAuth2Validator(OAuth2Validator):
    """DOT's validator, re-checking the refresh token inside the saving transaction.

    DOT validates a refresh token before, and outside, the transaction that rotates it. Two
    parallel requests may both pass; if a third one's reuse detection revokes the family in
    between, DOT mints a second pair from the used token: a forked family. Reading the row
    again under the write lock closes that window.
    """

    def _save_bearer_token(self, token: dict, request: Any, *args: Any, **kwargs: Any) -> Any:
        used = getattr(request, "refresh_token_instance", None)
        if used is not None and not self._still_live(used.pk):
            raise errors.InvalidGrantError(description="The refresh token was already used.")
        return super()._save_bearer_token(token, request, *args, **kwargs)

    @staticmethod
    def _still_live(pk: int) -> bool:
        model = get_refresh_token_model()
        return model.objects.select_for_update().filter(pk=pk, revoked__isnull=True).exists()
