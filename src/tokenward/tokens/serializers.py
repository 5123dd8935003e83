"""How tokens look in the API: never their secret, except once on creation."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from tokenward.credentials.scopes import ALL_SCOPES
from tokenward.tokens.models import OfflineToken, PersonalAccessToken
from tokenward.tokens.personal import token_status


class StrictCharField(serializers.CharField):
    """A string field that refuses numbers and booleans instead of turning them into text."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class PersonalTokenSerializer(serializers.ModelSerializer):
    """A stored token: what it may do, when it was used and from where; not its secret."""

    scopes = serializers.ListField(
        child=serializers.ChoiceField(choices=ALL_SCOPES), read_only=True
    )
    display = serializers.CharField(
        read_only=True, help_text="The prefix and the last four characters."
    )
    last_addresses = serializers.ListField(
        child=serializers.CharField(),
        read_only=True,
        help_text="The last client addresses, newest first.",
    )
    owner = serializers.SlugRelatedField(slug_field="login", read_only=True)
    revoked_by = serializers.SlugRelatedField(slug_field="login", read_only=True, allow_null=True)
    active = serializers.SerializerMethodField(help_text="Not revoked and not expired.")

    class Meta:
        model = PersonalAccessToken
        fields = [
            "id",
            "name",
            "description",
            "scopes",
            "display",
            "created_at",
            "expires_at",
            "last_used_at",
            "last_addresses",
            "last_user_agent",
            "last_method",
            "revoked_at",
            "revoked_by",
            "owner",
            "active",
        ]
        read_only_fields = fields

    def get_active(self, token: PersonalAccessToken) -> bool:
        return token_status(token) == "active"


class IssuedTokenSerializer(PersonalTokenSerializer):
    """A token just created, with its secret: shown in this reply and never again."""

    # The plaintext comes in ``context["plaintext"]``: the row does not hold it.

    token = serializers.SerializerMethodField(help_text="The secret; it is never shown again.")

    class Meta(PersonalTokenSerializer.Meta):
        fields = [*PersonalTokenSerializer.Meta.fields, "token"]
        read_only_fields = fields

    def get_token(self, _token: PersonalAccessToken) -> str:
        return self.context["plaintext"]


class PersonalTokenCreateSerializer(serializers.Serializer):
    """What a caller asks for when creating one of their own tokens."""

    name = StrictCharField(max_length=100)
    description = StrictCharField(max_length=500, required=False, allow_blank=True)
    scopes = serializers.ListField(
        child=serializers.ChoiceField(choices=ALL_SCOPES),
        required=False,
        allow_empty=False,
        help_text="Default: every scope.",
    )
    expires_at = serializers.DateTimeField(
        required=False, allow_null=True, help_text="Default: the server's longest lifetime."
    )
    user = StrictCharField(
        required=False, help_text="The caller's own login; nobody creates tokens for others."
    )


class TokenOwnerSerializer(serializers.Serializer):
    """Whose tokens to act on: the caller's by default; administrators may name anyone."""

    user = StrictCharField(required=False, allow_blank=True)


class RevokedCountSerializer(serializers.Serializer):
    revoked = serializers.IntegerField(help_text="How many tokens this request revoked.")


class TokenErrorSerializer(serializers.Serializer):
    """Every error body; a validation error adds ``errors`` by field."""

    detail = serializers.CharField()
    code = serializers.CharField()
    errors = serializers.DictField(required=False)


class OfflineTokenSerializer(serializers.ModelSerializer):
    """A stored offline refresh token: when it was made and last traded; not its secret."""

    display = serializers.CharField(
        read_only=True, help_text="The prefix and the last four characters."
    )
    owner = serializers.SlugRelatedField(slug_field="login", read_only=True)
    revoked_by = serializers.SlugRelatedField(slug_field="login", read_only=True, allow_null=True)
    active = serializers.SerializerMethodField(help_text="Not revoked (it never expires).")

    class Meta:
        model = OfflineToken
        fields = [
            "id",
            "name",
            "display",
            "session_id",
            "created_at",
            "last_used_at",
            "revoked_at",
            "revoked_by",
            "owner",
            "active",
        ]
        read_only_fields = fields

    def get_active(self, token: OfflineToken) -> bool:
        return token.revoked_at is None
