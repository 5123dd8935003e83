"""URLs of the OAuth2 provider (under /oauth/) and of application registration (under /api/)."""

from django.urls import path
from oauth2_provider import views as dot_views

from tokenward.oauth import views

app_name = "oauth"
urlpatterns = [
    path("authorize/", views.AuthorizationView.as_view(), name="authorize"),
    path("token/", views.TokenView.as_view(), name="token"),
    path("revoke_token/", dot_views.RevokeTokenView.as_view(), name="revoke-token"),
    path("introspect/", views.IntrospectView.as_view(), name="introspect"),
    path("applications/", views.applications_page, name="applications"),
]

api_urlpatterns = [
    path("oauth-applications", views.ApplicationListView.as_view(), name="oauth-applications"),
]
