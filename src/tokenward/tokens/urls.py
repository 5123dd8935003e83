"""URLs of the token management API."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from tokenward.tokens.leaks_api import LeakedTokensView
from tokenward.tokens.offline_api import OfflineTokenViewSet
from tokenward.tokens.views import PersonalTokenViewSet

router = SimpleRouter()
# Like the tracker API, with or without a trailing slash.
router.trailing_slash = "/?"
router.register("personal-tokens", PersonalTokenViewSet, basename="personal-token")
router.register("offline-tokens", OfflineTokenViewSet, basename="offline-token")

urlpatterns = [
    *router.urls,
    # Secret scanners post here (one fixed URL, no trailing slash).
    path("leaked-tokens", LeakedTokensView.as_view(), name="leaked-tokens"),
]
