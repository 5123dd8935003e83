"""Targetprocess REST v1: ``/api/v1/Users/LoggedUser`` and ``/api/v1/UserStories/``."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import permissions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from tokenward.accounts.models import Role, User
from tokenward.compat.paging import TakeSkipPagination
from tokenward.compat.renderers import RENDERERS
from tokenward.tracker.models import StoryState, UserStory
from tokenward.tracker.views import UserStoryViewSet

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
