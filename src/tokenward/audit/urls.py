"""URLs of the audit log API."""

urlpatterns: list = []
