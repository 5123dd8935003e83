"""tokenward's OAuth2 validator: one refresh token yields at most one new pair, even in parallel;
a replayed authorization code revokes what it issued; redirect URIs read alike everywhere."""

from __future__ import annotations

from typing import Any, NoReturn

from django.core.exceptions import ObjectDoesNotExist
from oauth2_provider.models import get_refresh_token_model
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauthlib.oauth2.rfc6749 import errors

from tokenward.audit.services import ClientInfo
from tokenward.authn.client import client_info
from tokenward.oauth import codes
from tokenward.oauth.redirects import is_unambiguous

METHOD = "oauth_token"


class TokenwardOAuth2Validator(OAuth2Validator):
    """DOT's validator, re-checking the refresh token inside the saving transaction.

    DOT validates a refresh token before, and outside, the transaction that rotates it. Two
    parallel requests may both pass; if a third one's reuse detection revokes the family in
    between, DOT mints a second pair from the used token: a forked family. Reading the row
    again under the write lock closes that window.

    DOT deletes an exchanged code's grant, so a second exchange is simply "invalid_grant";
    here it also revokes the tokens the first exchange issued (RFC 6749 §4.1.2): a code
    used twice may have been stolen, and either holder may be the thief.
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

    def _create_refresh_token(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        refresh_token = super()._create_refresh_token(request, *args, **kwargs)
        request.tokenward_token_family = refresh_token.token_family  # for the redemption
        return refresh_token

    def validate_code(
        self, client_id: str, code: str, client: Any, request: Any, *args: Any, **kwargs: Any
    ) -> bool:
        if super().validate_code(client_id, code, client, request, *args, **kwargs):
            return True
        codes.revoke_replayed_code(code, client, _client_of(request))
        return False

    def invalidate_authorization_code(
        self, client_id: str, code: str, request: Any, *args: Any, **kwargs: Any
    ) -> None:
        family = getattr(request, "tokenward_token_family", None)
        redeemed = codes.record_redemption(code, request.client, request.user, family)
        try:
            super().invalidate_authorization_code(client_id, code, request, *args, **kwargs)
        except errors.InvalidGrantError:
            redeemed = False
        if not redeemed:
            # A parallel exchange of this code redeemed it first: revoke both pairs.
            codes.revoke_replayed_code(code, request.client, _client_of(request), also=family)
            raise errors.InvalidGrantError(request=request)

    # DOT reads the grant again in these three after validate_code: a parallel exchange may
    # have deleted it in between, and DOT's Grant.DoesNotExist would be a 500.

    def confirm_redirect_uri(
        self, client_id: str, code: str, redirect_uri: str, client: Any, *args: Any, **kwargs: Any
    ) -> bool:
        try:
            return super().confirm_redirect_uri(
                client_id, code, redirect_uri, client, *args, **kwargs
            )
        except ObjectDoesNotExist:
            self._redeemed_meanwhile(code, client, args[0] if args else kwargs.get("request"))

    def get_code_challenge(self, code: str, request: Any) -> str | None:
        try:
            return super().get_code_challenge(code, request)
        except ObjectDoesNotExist:
            self._redeemed_meanwhile(code, request.client, request)

    def get_code_challenge_method(self, code: str, request: Any) -> str | None:
        try:
            return super().get_code_challenge_method(code, request)
        except ObjectDoesNotExist:
            self._redeemed_meanwhile(code, request.client, request)

    @staticmethod
    def _redeemed_meanwhile(code: str, client: Any, request: Any) -> NoReturn:
        """The code's grant went while this exchange was being validated: a parallel exchange
        redeemed it. That is a replay too."""
        codes.revoke_replayed_code(code, client, _client_of(request))
        raise errors.InvalidGrantError(request=request)

    def validate_redirect_uri(
        self, client_id: str, redirect_uri: str, request: Any, *args: Any, **kwargs: Any
    ) -> bool:
        """Refuse a redirect URI a browser may read differently from Python, even when it
        matches one registered before that rule (``redirects.check_redirect_uri``)."""
        if not is_unambiguous(redirect_uri):
            return False
        return super().validate_redirect_uri(client_id, redirect_uri, request, *args, **kwargs)

    def get_default_redirect_uri(
        self, client_id: str, request: Any, *args: Any, **kwargs: Any
    ) -> str | None:
        """The registered URI used when a request names none: None, so a refusal, if it is
        one a browser may read differently."""
        uri = super().get_default_redirect_uri(client_id, request, *args, **kwargs)
        return uri if uri and is_unambiguous(uri) else None


class _Headers:
    """The WSGI environ DOT copies into oauthlib's request, as ``client_info`` reads it."""

    def __init__(self, headers: Any) -> None:
        self.META = headers


def _client_of(request: Any) -> ClientInfo:
    headers = getattr(request, "headers", None)
    if not headers:
        return ClientInfo(method=METHOD)
    return client_info(_Headers(headers), METHOD, with_origin=False)
