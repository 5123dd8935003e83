"""YouTrack: ``/api/admin/projects[/{id}]`` with ``fields=``, ``$skip`` and ``$top``."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import permissions, serializers
from rest_framework.renderers import JSONRenderer

from tokenward.accounts.models import User
from tokenward.compat.paging import TopSkipPagination
from tokenward.tracker.models import Project
from tokenward.tracker.views import ProjectViewSet

# YouTrack ids are "<entity type>-<number>"; projects and users have types 0 and 1 here.
PROJECT_ID_PREFIX = "0-"
USER_ID_PREFIX = "1-"


def youtrack_user(user: User | None) -> dict[str, Any] | None:
    """Return ``user`` as a YouTrack ``User``; None for no user."""
    if user is None:
        return None
    return {
        "$type": "User",
        "login": user.login,
        "name": user.name,
        "id": f"{USER_ID_PREFIX}{user.pk}",
    }


def youtrack_project(project: Project) -> dict[str, Any]:
    """Return ``project`` as a YouTrack ``Project``."""
    return {
        "$type": "Project",
        "id": f"{PROJECT_ID_PREFIX}{project.pk}",
        "name": project.name,
        "shortName": project.short_name,
        "leader": youtrack_user(project.leader),
        "createdBy": youtrack_user(project.created_by),
        "archived": False,
    }


class ProjectEntitySerializer(serializers.BaseSerializer):
    """Read-only: a project as YouTrack represents it."""

    def to_representation(self, instance: Project) -> dict[str, Any]:
        return youtrack_project(instance)


@extend_schema_view(list=extend_schema(exclude=True), retrieve=extend_schema(exclude=True))
class AdminProjectsView(ProjectViewSet):
    """``GET /api/admin/projects[/{id}]``: the canonical projects, visibility and ``fields=``
    included, in YouTrack's shape; authentication required even for public projects."""

    serializer_class = ProjectEntitySerializer
    permission_classes = [permissions.IsAuthenticated]
    renderer_classes = [JSONRenderer]
    pagination_class = TopSkipPagination
    http_method_names = ["get", "head", "options"]
