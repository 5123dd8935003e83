"""URLs of the token management API."""

from rest_framework.routers import SimpleRouter

from tokenward.tokens.views import PersonalTokenViewSet

router = SimpleRouter()
# Like the tracker API, with or without a trailing slash.
router.trailing_slash = "/?"
router.register("personal-tokens", PersonalTokenViewSet, basename="personal-token")

urlpatterns = router.urls
