"""URLs of the seed documents' paths, each an alias of a canonical view."""

from __future__ import annotations

from django.urls import path, re_path

from tokenward.compat import targetdata
from tokenward.compat.targetprocess import (
    AuthenticationAliasView,
    AuthenticationView,
    LoggedUserView,
    UserStoriesView,
)
from tokenward.compat.trialgrid import DeleteTokensView, ObtainTokenView
from tokenward.compat.tuleap import TuleapTokensView, TuleapTokenView
from tokenward.compat.youtrack import AdminProjectsView
from tokenward.ids import ID_PATTERN
from tokenward.tracker.views import UserViewSet

LIST = {"get": "list"}
DETAIL = {"get": "retrieve"}


def any_case(segment: str) -> str:
    """Return a regex matching ``segment`` in any letter case.

    Character classes rather than ``(?i)``: Django cannot reverse inline flags, and one
    unreversible pattern breaks ``reverse()`` for every URL. A class's first character is
    the documented spelling, which is what ``reverse()`` produces.
    """
    return "".join(f"[{ch}{ch.swapcase()}]" if ch.isalpha() else ch for ch in segment)


TP_LOGGED_USER = any_case("api/v1/Users/LoggedUser")
TP_STORIES = any_case("api/v1/UserStories")
TP_AUTHENTICATION = any_case("api/v1/Authentication")

urlpatterns = [
    # TargetData: a browser page makes offline tokens; POST /auth/token trades one for a JWT.
    path("auth/offline-token", targetdata.offline_token_page, name="td-offline-token"),
    path("auth/token", targetdata.TokenView.as_view(), name="td-token"),
    path("auth/jwks.json", targetdata.JWKSView.as_view(), name="td-jwks"),
    # Targetprocess REST v1; its paths are case-insensitive (the seed's curl example writes
    # /api/v1/userstories/) and take an optional trailing slash.
    re_path(rf"^{TP_LOGGED_USER}/?$", LoggedUserView.as_view(), name="tp-logged-user"),
    # The schema shows the documented spelling; the alias takes every other one.
    path("api/v1/Authentication", AuthenticationView.as_view(), name="tp-authentication"),
    re_path(rf"^{TP_AUTHENTICATION}/?$", AuthenticationAliasView.as_view()),
    re_path(rf"^{TP_STORIES}/?$", UserStoriesView.as_view(LIST), name="tp-stories"),
    re_path(
        rf"^{TP_STORIES}/(?P<pk>[0-9]{{1,18}})/?$",
        UserStoriesView.as_view(DETAIL),
        name="tp-story",
    ),
    # YouTrack: a project id is "0-<number>"; the bare number is accepted too.
    re_path(r"^api/admin/projects/?$", AdminProjectsView.as_view(LIST), name="yt-projects"),
    re_path(
        rf"^api/admin/projects/(?:0-)?(?P<pk>{ID_PATTERN})/?$",
        AdminProjectsView.as_view(DETAIL),
        name="yt-project",
    ),
    # Tuleap (deprecated there): a login and password buy a 24-hour token; DELETE ends it.
    re_path(r"^api/tokens/?$", TuleapTokensView.as_view(), name="tuleap-tokens"),
    re_path(r"^api/tokens/(?P<token>[^/]+)/?$", TuleapTokenView.as_view(), name="tuleap-token"),
    # TrialGrid: the canonical user list.
    re_path(r"^api/v2/users/?$", UserViewSet.as_view(LIST), name="tg-users"),
    # TrialGrid: a login and password in the body mint a token, or revoke them all.
    re_path(r"^api/v2/api-token-auth/?$", ObtainTokenView.as_view(), name="tg-token-auth"),
    re_path(
        r"^api/v2/api-token-auth-delete/?$",
        DeleteTokensView.as_view(),
        name="tg-token-auth-delete",
    ),
]
