"""The canonical tracker API: users, projects and user stories (JSON and XML)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from tokenward.accounts import services as accounts
from tokenward.accounts.models import User
from tokenward.authn.client import client_info
from tokenward.authn.issuing import Issuing, check_request_may_issue
from tokenward.ids import ID_PATTERN, ID_SCHEMA, MAX_ID, parse_id
from tokenward.tracker import access
from tokenward.tracker.fields import FieldsSyntaxError, parse_fields, select_fields
from tokenward.tracker.models import Project, UserStory
from tokenward.tracker.serializers import (
    MeSerializer,
    PasswordSerializer,
    ProjectSerializer,
    UserSerializer,
    UserStorySerializer,
)

FIELDS_PARAMETER = OpenApiParameter(
    "fields",
    str,
    description="YouTrack-style selector, e.g. id,name,leader(login,name).",
    pattern=r"^[A-Za-z0-9_$(),\s]{0,2000}$",
)


PROJECT_FILTER_ERROR = f"A project id is a whole number from 0 to {MAX_ID}."


class FieldsSelectionMixin:
    """Honour ``fields=`` on every response of the view (YouTrack's convention)."""

    def finalize_response(self, request: Request, response: Response, *args: Any, **kw: Any):
        spec = request.query_params.get("fields") if hasattr(request, "query_params") else None
        if spec and response.status_code < 400 and isinstance(response.data, dict | list):
            try:
                response.data = select_fields(response.data, parse_fields(spec))
            except FieldsSyntaxError as exc:
                response = Response(
                    {"detail": f"Invalid fields selector. {exc}", "code": "invalid"},
                    status=status.HTTP_400_BAD_REQUEST,
                )
        return super().finalize_response(request, response, *args, **kw)


class ReadPublicWriteAuthenticated(permissions.BasePermission):
    """Anyone may read (the queryset limits what); changes need an authenticated user."""

    anonymous_methods = permissions.SAFE_METHODS  # the OpenAPI schema says so (authn.openapi)

    def has_permission(self, request: Request, view: Any) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return True
        return bool(request.user and request.user.is_authenticated)


@extend_schema_view(
    list=extend_schema(parameters=[FIELDS_PARAMETER]),
    retrieve=extend_schema(parameters=[FIELDS_PARAMETER]),
)
class UserViewSet(FieldsSelectionMixin, viewsets.ModelViewSet):
    """Users: every API user reads them; administrators create and change them."""

    serializer_class = UserSerializer
    queryset = User.objects.order_by("id")
    lookup_value_regex = ID_PATTERN  # "\u0661" is no id: int() would read it as 1
    http_method_names = ["get", "post", "patch", "head", "options"]

    def check_permissions(self, request: Request) -> None:
        super().check_permissions(request)
        changing = request.method not in permissions.SAFE_METHODS and self.action != "me"
        if changing and not request.user.is_administrator:
            raise exceptions.PermissionDenied("Only administrators manage users.")

    def perform_create(self, serializer: UserSerializer) -> None:
        data = serializer.validated_data
        try:
            serializer.instance = accounts.create_user(**data)
        except accounts.AccountError as exc:
            raise exceptions.ValidationError({"login": [str(exc)]}) from None

    def perform_update(self, serializer: UserSerializer) -> None:
        """Save the names and login; change role, activation and sign-in as every door does.

        A new login is claimed as at creation (no look-alike of another account). The account
        fields go through ``accounts.update_account``, which audits them and ends the
        account's web sessions when it loses its rights; nothing is written on a refusal.
        """
        data = serializer.validated_data
        changes = {name: data.pop(name) for name in accounts.ACCOUNT_FIELDS if name in data}
        login = data.get("login", serializer.instance.login)
        try:
            with transaction.atomic():
                if login == serializer.instance.login:
                    user = serializer.save()  # a kept look-alike (``lookalikes``) may change
                else:
                    with accounts.claiming_login(login, user=serializer.instance):
                        user = serializer.save()
                accounts.update_account(
                    user, changes, by=self.request.user, client=client_info(self.request, "api")
                )
        except accounts.AccountFieldError as exc:
            raise exceptions.ValidationError({exc.field: [str(exc)]}) from None

    @extend_schema(responses=MeSerializer, parameters=[FIELDS_PARAMETER])
    @action(detail=False, methods=["get"])
    def me(self, request: Request) -> Response:
        """The authenticated user, and how the request was authenticated."""
        return Response(MeSerializer(request.user, context={"request": request}).data)

    @extend_schema(request=PasswordSerializer, responses={204: None})
    @action(detail=True, methods=["post"])
    def password(self, request: Request, pk: str | None = None) -> Response:
        """Set a user's password (administrators; the System user's among them)."""
        user = self.get_object()
        check_request_may_issue(request, Issuing.PASSWORD)
        serializer = PasswordSerializer(data=request.data, context={"user": user})
        serializer.is_valid(raise_exception=True)
        try:
            accounts.set_password(user, serializer.validated_data["password"], validate=False)
        except accounts.AccountError as exc:
            raise exceptions.ValidationError({"password": [str(exc)]}) from None
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    list=extend_schema(parameters=[FIELDS_PARAMETER]),
    retrieve=extend_schema(parameters=[FIELDS_PARAMETER]),
)
class ProjectViewSet(FieldsSelectionMixin, viewsets.ModelViewSet):
    """Projects: public ones are readable by anyone; only administrators change them."""

    serializer_class = ProjectSerializer
    permission_classes = [ReadPublicWriteAuthenticated]
    lookup_value_regex = ID_PATTERN  # anything else is a 404, not a failed int()
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return access.visible_projects(self.request.user).prefetch_related("members")

    def get_object(self) -> Project:
        # A project the caller may not read is missing to it: the same 404, not a 403.
        project = get_object_or_404(
            access.visible_projects(self.request.user), pk=self.kwargs["pk"]
        )
        changing = self.request.method not in permissions.SAFE_METHODS
        if changing and not access.can_manage_projects(self.request.user):
            raise exceptions.PermissionDenied("Only administrators change projects.")
        return project

    def perform_create(self, serializer: ProjectSerializer) -> None:
        if not access.can_manage_projects(self.request.user):
            raise exceptions.PermissionDenied("Only administrators create projects.")
        serializer.save(created_by=self.request.user)


@extend_schema_view(
    list=extend_schema(
        parameters=[
            FIELDS_PARAMETER,
            OpenApiParameter("project", ID_SCHEMA, description="Project id"),
        ]
    ),
    retrieve=extend_schema(parameters=[FIELDS_PARAMETER]),
)
class UserStoryViewSet(FieldsSelectionMixin, viewsets.ModelViewSet):
    """User stories: readable with their project; members write them."""

    serializer_class = UserStorySerializer
    permission_classes = [ReadPublicWriteAuthenticated]
    lookup_value_regex = ID_PATTERN
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        stories = access.visible_stories(self.request.user)
        project = self.request.query_params.get("project")
        if project:  # empty is not sent, like every optional query parameter
            project_id = parse_id(project)
            if project_id is None:  # a longer number overflowed SQLite's INTEGER: a 500
                raise exceptions.ValidationError({"project": [PROJECT_FILTER_ERROR]})
            stories = stories.filter(project_id=project_id)
        return stories

    def get_object(self) -> UserStory:
        # A story of a project the caller may not read is missing to it, as the project is.
        story = get_object_or_404(access.visible_stories(self.request.user), pk=self.kwargs["pk"])
        if self.request.method not in permissions.SAFE_METHODS:
            self._check_write(story.project)
        return story

    @transaction.atomic
    def perform_create(self, serializer: UserStorySerializer) -> None:
        self._check_write(serializer.validated_data["project"])
        serializer.save(owner=serializer.validated_data.get("owner", self.request.user))

    def perform_update(self, serializer: UserStorySerializer) -> None:
        if "project" in serializer.validated_data:
            self._check_write(serializer.validated_data["project"])
        serializer.save()

    def _check_write(self, project: Project) -> None:
        if not access.can_write_stories(self.request.user, project):
            raise exceptions.PermissionDenied("Only members of this project change its stories.")
