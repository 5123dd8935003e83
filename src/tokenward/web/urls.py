"""URLs of the web pages."""

from django.contrib.auth import views as auth_views
from django.urls import path, re_path

from tokenward.web import views

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("profile/", views.profile, name="profile"),
    re_path(
        r"^profile/tokens/(?P<token_id>[0-9]{1,18})/revoke/$",
        views.revoke_token,
        name="revoke-token",
    ),
]
