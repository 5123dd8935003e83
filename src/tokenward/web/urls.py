"""URLs of the web pages: account pages here, token and administration pages in their modules."""

from django.contrib.auth import views as auth_views
from django.urls import path

from tokenward.web import admin_urls, token_urls, views

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("profile/", views.profile, name="profile"),
    *token_urls.urlpatterns,
    *admin_urls.urlpatterns,
]
