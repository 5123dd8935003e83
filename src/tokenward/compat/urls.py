"""URLs of the seed documents' paths."""

urlpatterns: list = []
