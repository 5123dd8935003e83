"""Targetprocess REST v1: ``Users/LoggedUser``, ``UserStories/`` and ``Authentication``."""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree as ET  # nosec B405  # builds XML, never parses it

from django.utils.decorators import method_decorator
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, permissions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from tokenward.accounts import services as accounts
from tokenward.accounts.models import Role, User
from tokenward.authn.client import client_info
from tokenward.authn.issuing import Issuing, check_request_may_issue
from tokenward.compat.paging import TakeSkipPagination
from tokenward.compat.renderers import (
    RENDERERS,
    TargetprocessJSONRenderer,
    TargetprocessXMLRenderer,
    xml_text,
)
from tokenward.credentials.scopes import Scope
from tokenward.tokens import service
from tokenward.tokens.errors import TokensNotPermittedError
from tokenward.tokens.serializers import TokenErrorSerializer
from tokenward.tracker.models import StoryState, UserStory
from tokenward.tracker.views import UserStoryViewSet
from tokenward.web.security import issuing_reply

Entity = dict[str, Any]

ROLE_IDS = {Role.ADMINISTRATOR: 1, Role.USER: 2, Role.REQUESTER: 3}
STATE_IDS = {StoryState.OPEN: 1, StoryState.IN_PROGRESS: 2, StoryState.DONE: 3}


def split_name(full_name: str) -> tuple[str, str]:
    """Return ``(FirstName, LastName)``: the full name split at its first space."""
    first, _, last = full_name.strip().partition(" ")
    return first, last.strip()


def general_user(user: User | None) -> Entity | None:
    """Return the short ``GeneralUser`` reference to ``user``; None for no user."""
    if user is None:
        return None
    first, last = split_name(user.full_name)
    return {
        "ResourceType": "GeneralUser",
        "Id": user.pk,
        "FirstName": first,
        "LastName": last,
        "Login": user.login,
    }


def logged_user(user: User, auth_method: str | None) -> Entity:
    """Return ``user`` as a Targetprocess ``User``, with the method that authenticated it."""
    first, last = split_name(user.full_name)
    role = Role(user.role)
    return {
        "ResourceType": "User",
        "Id": user.pk,
        "FirstName": first,
        "LastName": last,
        "Login": user.login,
        "Email": user.email or None,
        "IsActive": user.is_active,
        "IsAdministrator": user.is_administrator,
        "Role": {"ResourceType": "Role", "Id": ROLE_IDS[role], "Name": role.label},
        "AuthenticationMethod": auth_method,
    }


def user_story(story: UserStory) -> Entity:
    """Return ``story`` as a Targetprocess ``UserStory``."""
    state = StoryState(story.state)
    return {
        "ResourceType": "UserStory",
        "Id": story.pk,
        "Name": story.name,
        "Description": story.description,
        "CreateDate": story.created_at.isoformat(),
        "ModifyDate": story.modified_at.isoformat(),
        "EntityState": {"ResourceType": "EntityState", "Id": STATE_IDS[state], "Name": state.label},
        "Project": {"ResourceType": "Project", "Id": story.project_id, "Name": story.project.name},
        "Owner": general_user(story.owner),
    }


class UserStoryEntitySerializer(serializers.BaseSerializer):
    """Read-only: a story as a Targetprocess ``UserStory`` entity."""

    def to_representation(self, instance: UserStory) -> Entity:
        return user_story(instance)


class TargetprocessMixin:
    """No anonymous access at all; XML by default, JSON on ``?format=json`` or Accept."""

    permission_classes = [permissions.IsAuthenticated]
    renderer_classes = RENDERERS


@extend_schema(exclude=True)  # an alias; the canonical path is /api/users/me
class LoggedUserView(TargetprocessMixin, APIView):
    """``GET /api/v1/Users/LoggedUser``: who is authenticated, their role, and how."""

    def get(self, request: Request) -> Response:
        method = getattr(request._request, "tokenward_auth_method", None)
        return Response(logged_user(request.user, method))


@extend_schema_view(list=extend_schema(exclude=True), retrieve=extend_schema(exclude=True))
class UserStoriesView(TargetprocessMixin, UserStoryViewSet):
    """``GET /api/v1/UserStories/[{id}]``: the canonical stories, visibility included, in
    Targetprocess's entity shape and paged by ``take`` and ``skip``."""

    serializer_class = UserStoryEntitySerializer
    pagination_class = TakeSkipPagination
    http_method_names = ["get", "head", "options"]
    xml_collection_tag = "UserStories"


class AuthenticationXMLRenderer(TargetprocessXMLRenderer):
    """The token as the seed shows it, ``<Authentication Token="…"/>``; errors as usual."""

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: dict[str, Any] | None = None,
    ) -> bytes:
        response = (renderer_context or {}).get("response")
        if response is None or response.status_code >= 400 or not isinstance(data, dict):
            return super().render(data, accepted_media_type, renderer_context)
        root = ET.Element("Authentication", Token=xml_text(data["Token"]))
        return ET.tostring(root, encoding="utf-8", xml_declaration=True)


class ServiceTokenSerializer(serializers.Serializer):
    """The reply of ``GET /api/v1/Authentication``."""

    Token = serializers.CharField(  # Targetprocess spells it so
        help_text="A service token for ?token=; it ends when the login or password changes."
    )


METHOD = "api"
LOGIN = OpenApiParameter(
    "login",
    str,
    description="Administrators: whose token (another login, or System); default the caller's.",
)


def token_owner(caller: User, login: str | None) -> User:
    """Return whose token ``caller`` asks for: their own, or (administrators) ``login``'s.

    Raise 403 for another login unless the caller is an administrator (whether or not it
    exists), and 404 for an unknown login.
    """
    if not login or login == caller.login:
        return caller
    if not caller.is_administrator:
        raise exceptions.PermissionDenied("Only administrators obtain other users' tokens.")
    try:
        return accounts.find_user(login)
    except accounts.AccountError as exc:
        raise exceptions.NotFound(str(exc)) from None


@method_decorator(issuing_reply, name="dispatch")
class AuthenticationView(TargetprocessMixin, APIView):
    """``GET /api/v1/Authentication[?login=NAME]``: a service token for ``?token=``."""

    renderer_classes = (AuthenticationXMLRenderer, TargetprocessJSONRenderer)

    def required_scope(self, request: Request) -> Scope:
        # A token narrowed to read must not mint a token with the owner's full access.
        return Scope.WRITE

    @extend_schema(
        operation_id="tp_authentication",
        parameters=[LOGIN],
        responses={
            200: ServiceTokenSerializer,
            401: TokenErrorSerializer,
            403: TokenErrorSerializer,
            404: TokenErrorSerializer,
        },
    )
    def get(self, request: Request) -> Response:
        """Return the caller's service token, or (administrators) another user's."""
        check_request_may_issue(request, Issuing.SERVICE_TOKEN)
        target = token_owner(request.user, request.query_params.get("login"))
        try:
            token = service.obtain_service_token(request.user, target, client_info(request, METHOD))
        except TokensNotPermittedError as exc:
            raise exceptions.PermissionDenied(str(exc)) from None
        return Response({"Token": token})


@extend_schema(exclude=True)
class AuthenticationAliasView(AuthenticationView):
    """``/api/v1/Authentication`` in any letter case or with a trailing slash: the same
    view, left out of the schema, which names the documented spelling once."""
