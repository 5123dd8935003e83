"""The GraphQL schema: users, projects and user stories, under the tracker's access rules."""

from __future__ import annotations

import logging

import strawberry
import strawberry_django
from django.contrib.auth.models import AnonymousUser
from django.db.models import Prefetch, QuerySet
from graphql import GraphQLError
from strawberry import auto
from strawberry.extensions import MaskErrors, MaxAliasesLimiter, MaxTokensLimiter, QueryDepthLimiter
from strawberry.types import ExecutionContext

from tokenward.accounts.models import User
from tokenward.ids import parse_id
from tokenward.tracker import access
from tokenward.tracker.models import Project, StoryState, UserStory
from tokenward.web.unavailable import database_unavailable_cause

MAX_DEPTH = 10
MAX_ALIASES = 30
MAX_TOKENS = 2000
NAME_MAX_LENGTH = UserStory._meta.get_field("name").max_length

AUTHENTICATION_REQUIRED = "Authentication required."
NOT_ALLOWED = "You do not have permission to change stories of this project."

logger = logging.getLogger(__name__)


class TrackerRequestError(Exception):
    """A GraphQL request that cannot be carried out; its message is shown to the client."""


def viewer(info: strawberry.Info) -> User | AnonymousUser:
    """Return the user the authentication pipeline put on the Django request."""
    return info.context.request.user


def _parse_id(value: strawberry.ID, what: str) -> int:
    text = str(value)
    parsed = parse_id(text)
    if parsed is None:
        raise TrackerRequestError(f"{text[:40]!r} is not a valid {what} id.")
    return parsed


@strawberry_django.type(User, name="User")
class UserType:
    """Another user, as the tracker shows them. E-mail and role are for signed-in users."""

    id: auto
    login: auto
    name: str

    @strawberry_django.field
    def email(self, info: strawberry.Info) -> str | None:
        return self.email if viewer(info).is_authenticated else None

    @strawberry_django.field
    def role(self, info: strawberry.Info) -> str | None:
        return self.role if viewer(info).is_authenticated else None


@strawberry_django.type(User, name="Me")
class MeType:
    """The signed-in user, and the method that authenticated this request."""

    id: auto
    login: auto
    name: str
    email: auto
    role: str
    is_active: auto

    @strawberry_django.field
    def auth_method(self, info: strawberry.Info) -> str | None:
        return getattr(info.context.request, "tokenward_auth_method", None)


@strawberry_django.type(Project, name="Project")
class ProjectType:
    id: auto
    name: auto
    short_name: auto
    is_public: auto
    leader: UserType | None
    created_by: UserType | None

    @strawberry_django.field
    def members(self) -> list[UserType]:
        return list(self.members.all())

    @strawberry_django.field
    def user_stories(self, info: strawberry.Info) -> list[UserStoryType]:
        prefetched = getattr(self, "visible_story_list", None)
        if prefetched is not None:
            return prefetched
        return list(access.visible_stories(viewer(info)).filter(project_id=self.pk))


@strawberry_django.type(UserStory, name="UserStory")
class UserStoryType:
    id: auto
    name: auto
    description: auto
    state: str
    created_at: auto
    modified_at: auto
    project: ProjectType
    owner: UserType | None


def _projects(info: strawberry.Info) -> QuerySet[Project]:
    user = viewer(info)
    # Stories are prefetched through the access rules too: a project's list never holds
    # more than the viewer may read.
    stories = Prefetch(
        "stories", queryset=access.visible_stories(user), to_attr="visible_story_list"
    )
    return access.visible_projects(user).prefetch_related("members", stories)


@strawberry.type
class Query:
    @strawberry.field(description="The signed-in user; null for anonymous requests.")
    def me(self, info: strawberry.Info) -> MeType | None:
        user = viewer(info)
        return user if user.is_authenticated else None

    @strawberry.field(description="The projects the viewer may read.")
    def projects(self, info: strawberry.Info) -> list[ProjectType]:
        return list(_projects(info))

    @strawberry.field(description="A project; null if it does not exist or is not readable.")
    def project(self, info: strawberry.Info, id: strawberry.ID) -> ProjectType | None:
        return _projects(info).filter(pk=_parse_id(id, "project")).first()

    @strawberry.field(description="The user stories the viewer may read, of one project or all.")
    def user_stories(
        self, info: strawberry.Info, project_id: strawberry.ID | None = None
    ) -> list[UserStoryType]:
        stories = access.visible_stories(viewer(info))
        if project_id is not None:
            stories = stories.filter(project_id=_parse_id(project_id, "project"))
        return list(stories)

    @strawberry.field(description="A user story; null if it does not exist or is not readable.")
    def user_story(self, info: strawberry.Info, id: strawberry.ID) -> UserStoryType | None:
        return access.visible_stories(viewer(info)).filter(pk=_parse_id(id, "story")).first()


def _writer(info: strawberry.Info) -> User:
    user = viewer(info)
    if not user.is_authenticated:
        raise TrackerRequestError(AUTHENTICATION_REQUIRED)
    return user


def _clean_name(name: str) -> str:
    name = name.strip()
    if not name:
        raise TrackerRequestError("A user story needs a name.")
    if len(name) > NAME_MAX_LENGTH:
        raise TrackerRequestError(f"A user story's name is at most {NAME_MAX_LENGTH} characters.")
    return name


def _clean_state(state: str) -> str:
    if state not in StoryState.values:
        raise TrackerRequestError(f"The state must be one of: {', '.join(StoryState.values)}.")
    return state


def _writable_project(user: User, project_id: strawberry.ID) -> Project:
    pk = _parse_id(project_id, "project")
    # A project the user may not read is missing to it, as in the REST API.
    project = access.visible_projects(user).filter(pk=pk).first()
    if project is None:
        raise TrackerRequestError(f"There is no project with id {pk}.")
    if not access.can_write_stories(user, project):
        raise TrackerRequestError(NOT_ALLOWED)
    return project


def _writable_story(user: User, story_id: strawberry.ID) -> UserStory:
    pk = _parse_id(story_id, "story")
    story = access.visible_stories(user).filter(pk=pk).first()
    if story is None:
        raise TrackerRequestError(f"There is no user story with id {pk}.")
    if not access.can_write_stories(user, story.project):
        raise TrackerRequestError(NOT_ALLOWED)
    return story


def _story_changes(name: str | None, description: str | None, state: str | None) -> dict:
    changes: dict[str, str] = {}
    if name is not None:
        changes["name"] = _clean_name(name)
    if description is not None:
        changes["description"] = description
    if state is not None:
        changes["state"] = _clean_state(state)
    return changes


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Create a user story; members of the project only.")
    def create_user_story(
        self, info: strawberry.Info, project_id: strawberry.ID, name: str, description: str = ""
    ) -> UserStoryType:
        user = _writer(info)
        project = _writable_project(user, project_id)
        return UserStory.objects.create(
            project=project, owner=user, name=_clean_name(name), description=description
        )

    @strawberry.mutation(description="Change a user story; members of its project only.")
    def update_user_story(
        self,
        info: strawberry.Info,
        id: strawberry.ID,
        name: str | None = None,
        description: str | None = None,
        state: str | None = None,
    ) -> UserStoryType:
        user = _writer(info)
        story = _writable_story(user, id)
        changes = _story_changes(name, description, state)
        if changes:
            for field, value in changes.items():
                setattr(story, field, value)
            story.save(update_fields=[*changes, "modified_at"])
        return story


def _is_unexpected(error: GraphQLError) -> bool:
    # Validation and syntax errors have no original error; ours are meant for the client.
    # Anything else is a bug or a database failure: never show its message.
    original = error.original_error
    return original is not None and not isinstance(original, TrackerRequestError | GraphQLError)


class TrackerSchema(strawberry.Schema):
    """Strawberry's schema, without logging the errors that are the client's own.

    A database outage in a resolver is raised out of the operation, to be answered 503.
    """

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        for error in errors:
            if (cause := database_unavailable_cause(error.original_error)) is not None:
                raise cause  # a 503 (web.unavailable), never a 200 with an error entry
        unexpected = [error for error in errors if _is_unexpected(error)]
        if unexpected:
            super().process_errors(unexpected, execution_context)


schema = TrackerSchema(
    query=Query,
    mutation=Mutation,
    # Factories, so that each request gets fresh extension instances.
    extensions=[
        lambda: QueryDepthLimiter(max_depth=MAX_DEPTH),
        lambda: MaxAliasesLimiter(max_alias_count=MAX_ALIASES),
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        lambda: MaskErrors(should_mask_error=_is_unexpected),
    ],
)
