"""URLs of the OAuth2 provider (under /oauth/) and of its API (under /api/)."""

from django.urls import path, re_path

from tokenward.ids import ID_PATTERN
from tokenward.oauth import api, views

app_name = "oauth"
urlpatterns = [
    path("authorize/", views.AuthorizationView.as_view(), name="authorize"),
    path("token/", views.TokenView.as_view(), name="token"),
    path("revoke_token/", views.RevokeTokenView.as_view(), name="revoke-token"),
    path("introspect/", views.IntrospectView.as_view(), name="introspect"),
    path("applications/", views.applications_page, name="applications"),
]

api_urlpatterns = [
    path("oauth-applications", api.ApplicationListView.as_view(), name="oauth-applications"),
    path("oauth-authorizations", api.AuthorizationListView.as_view(), name="oauth-authorizations"),
    re_path(
        rf"^oauth-authorizations/(?P<application_id>{ID_PATTERN})$",
        api.AuthorizationDetailView.as_view(),
        name="oauth-authorization",
    ),
]
