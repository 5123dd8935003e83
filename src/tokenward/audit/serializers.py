"""The audit log's JSON: one event as the API shows it, and the filters a list accepts."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from rest_framework import serializers

from tokenward.accounts.models import User
from tokenward.audit.models import Action, AuditEvent


class AuditEventSerializer(serializers.ModelSerializer):
    """An event with its users as logins; a deleted user shows as null; its time in UTC."""

    at = serializers.DateTimeField(read_only=True, default_timezone=UTC)
    actor = serializers.SlugRelatedField(slug_field="login", read_only=True, allow_null=True)
    subject = serializers.SlugRelatedField(slug_field="login", read_only=True, allow_null=True)

    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "at",
            "action",
            "actor",
            "subject",
            "credential_kind",
            "credential_id",
            "method",
            "reason",
            "address",
            "user_agent",
        ]
        read_only_fields = fields


class AuditEventFilterSerializer(serializers.Serializer):
    """The query parameters of the audit log list; each narrows it, all must hold."""

    user = serializers.CharField(
        required=False,
        max_length=150,
        help_text="A login: events where that user is the actor or the subject.",
    )
    action = serializers.ChoiceField(
        choices=Action.choices, required=False, help_text="The outcome."
    )
    method = serializers.CharField(
        required=False, max_length=40, help_text="The channel: bearer, web, cli, ..."
    )
    credential_kind = serializers.CharField(
        required=False, max_length=40, help_text="personal_token, ..."
    )
    since = serializers.DateTimeField(
        required=False, help_text="ISO 8601; events at or after this time."
    )
    until = serializers.DateTimeField(
        required=False, help_text="ISO 8601; events before this time."
    )

    def validate_user(self, value: str) -> User:
        user = User.objects.filter(login=value).first()
        if user is None:
            raise serializers.ValidationError("There is no user with this login.")
        return user

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        since, until = attrs.get("since"), attrs.get("until")
        if since is not None and until is not None and since >= until:
            raise serializers.ValidationError({"until": ["until must be later than since."]})
        return attrs
