"""URLs of the token management API."""

urlpatterns: list = []
