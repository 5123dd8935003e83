"""The canonical JSON/XML representations of users, projects and user stories."""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from tokenward.accounts import services as accounts
from tokenward.accounts.models import AccountType, Role, User
from tokenward.id_fields import IdRelatedField
from tokenward.tracker import access
from tokenward.tracker.models import Project, StoryState, UserStory


class UserRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "login", "name"]


class UserSerializer(serializers.ModelSerializer):
    role = serializers.ChoiceField(choices=Role.choices, required=False)
    account_type = serializers.ChoiceField(choices=AccountType.choices, required=False)

    class Meta:
        model = User
        fields = [
            "id",
            "login",
            "name",
            "full_name",
            "email",
            "role",
            "is_active",
            "can_use_api_tokens",
            "account_type",
            "is_system",
            "date_joined",
        ]
        read_only_fields = ["id", "name", "is_system", "date_joined"]
        # Lengths are checked on the value as sent, as the schema's maxLength says: trimmed
        # first, " " * 10 + 200 characters would pass a 200-character limit.
        extra_kwargs = {name: {"trim_whitespace": False} for name in ("login", "full_name")}

    def validate_login(self, value: str) -> str:
        try:
            login = accounts.validate_login(value)
            if self.instance is None or login != self.instance.login:
                accounts.check_login_free(login, user=self.instance)
        except accounts.AccountError as exc:
            raise serializers.ValidationError(str(exc)) from None
        return login

    def validate(self, attrs: dict) -> dict:
        if self.instance is not None:
            try:
                accounts.check_account_change(self.instance, attrs)
            except accounts.AccountFieldError as exc:
                raise serializers.ValidationError({exc.field: str(exc)}) from None
        return attrs


class MeSerializer(UserSerializer):
    """The current user, and the method that authenticated this request."""

    auth_method = serializers.SerializerMethodField()

    class Meta(UserSerializer.Meta):
        fields = [*UserSerializer.Meta.fields, "auth_method"]
        read_only_fields = UserSerializer.Meta.fields

    def get_auth_method(self, _user: User) -> str | None:
        request = self.context.get("request")
        return getattr(request._request, "tokenward_auth_method", None) if request else None


class PasswordSerializer(serializers.Serializer):
    password = serializers.CharField(write_only=True, trim_whitespace=False, max_length=4096)

    def validate_password(self, value: str) -> str:
        try:
            validate_password(value, self.context.get("user"))
        except DjangoValidationError as exc:
            raise serializers.ValidationError(list(exc.messages)) from None
        return value


class ProjectRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Project
        fields = ["id", "name", "short_name"]


class ProjectSerializer(serializers.ModelSerializer):
    uri = serializers.SerializerMethodField()
    leader = UserRefSerializer(read_only=True, allow_null=True)
    created_by = UserRefSerializer(read_only=True, allow_null=True)
    members = UserRefSerializer(many=True, read_only=True)
    leader_id = IdRelatedField(
        source="leader",
        queryset=User.objects.all(),
        write_only=True,
        required=False,
        allow_null=True,
    )
    member_ids = IdRelatedField(
        source="members",
        queryset=User.objects.all(),
        many=True,
        write_only=True,
        required=False,
    )

    class Meta:
        model = Project
        fields = [
            "id",
            "uri",
            "name",
            "short_name",
            "is_public",
            "leader",
            "created_by",
            "members",
            "created_at",
            "leader_id",
            "member_ids",
        ]
        read_only_fields = ["id", "uri", "created_at"]

    def get_uri(self, project: Project) -> str:
        return f"projects/{project.id}"


class VisibleProjectField(IdRelatedField):
    """A project id, looked up among the projects the caller may read: one it may not read
    is answered as a missing one ("Invalid pk"), never as a 403 that tells it exists."""

    queryset = Project.objects.all()  # only for the schema's type: lookups use get_queryset

    def get_queryset(self):
        request = self.context.get("request")
        return access.visible_projects(request.user) if request else Project.objects.none()


class UserStorySerializer(serializers.ModelSerializer):
    project = ProjectRefSerializer(read_only=True)
    owner = UserRefSerializer(read_only=True, allow_null=True)
    project_id = VisibleProjectField(source="project", write_only=True)
    owner_id = IdRelatedField(
        source="owner",
        queryset=User.objects.all(),
        write_only=True,
        required=False,
        allow_null=True,
    )
    state = serializers.ChoiceField(choices=StoryState.choices, required=False)

    class Meta:
        model = UserStory
        fields = [
            "id",
            "name",
            "description",
            "project",
            "owner",
            "state",
            "created_at",
            "modified_at",
            "project_id",
            "owner_id",
        ]
        read_only_fields = ["id", "created_at", "modified_at"]
