"""URLs of the canonical tracker API under /api/."""

from rest_framework.routers import SimpleRouter

from tokenward.tracker.views import ProjectViewSet, UserStoryViewSet, UserViewSet

router = SimpleRouter()
# Tuleap and YouTrack paths have no trailing slash, Targetprocess and TrialGrid paths do.
router.trailing_slash = "/?"
router.register("users", UserViewSet, basename="user")
router.register("projects", ProjectViewSet, basename="project")
router.register("stories", UserStoryViewSet, basename="story")

urlpatterns = router.urls
