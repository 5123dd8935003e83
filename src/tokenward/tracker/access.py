"""Who may see and change what: the tracker's authorization rules, in one place.

Administrators see and change everything; members (and the leader) read their projects and
read and write their stories; anyone, even anonymous, reads public projects and their
stories; only administrators create, change and delete projects.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet

from tokenward.accounts.models import User
from tokenward.tracker.models import Project, UserStory

AnyUser = User | AnonymousUser


def _is_admin(user: AnyUser) -> bool:
    return bool(user.is_authenticated and user.is_administrator)


def _membership(user: AnyUser, prefix: str = "") -> Q:
    visible = Q(**{f"{prefix}is_public": True})
    if user.is_authenticated:
        visible |= Q(**{f"{prefix}members": user}) | Q(**{f"{prefix}leader": user})
    return visible


def visible_projects(user: AnyUser) -> QuerySet[Project]:
    """Return the projects ``user`` may read."""
    projects = Project.objects.select_related("leader", "created_by")
    if _is_admin(user):
        return projects.all()
    ids = Project.objects.filter(_membership(user)).values("id")
    return projects.filter(id__in=ids)


def visible_stories(user: AnyUser) -> QuerySet[UserStory]:
    """Return the user stories ``user`` may read."""
    stories = UserStory.objects.select_related("project", "owner")
    if _is_admin(user):
        return stories.all()
    return stories.filter(project__in=visible_projects(user).values("id"))


def can_read_project(user: AnyUser, project: Project) -> bool:
    return visible_projects(user).filter(id=project.id).exists()


def can_write_stories(user: AnyUser, project: Project) -> bool:
    """Return True if ``user`` may create, change and delete stories of ``project``."""
    if _is_admin(user):
        return True
    if not user.is_authenticated:
        return False
    return project.leader_id == user.id or project.members.filter(id=user.id).exists()


def can_manage_projects(user: AnyUser) -> bool:
    return _is_admin(user)
