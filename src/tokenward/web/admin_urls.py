"""URLs of the administration pages (names ``web:admin-*``)."""

from django.urls import path, re_path

from tokenward.ids import ID_PATTERN
from tokenward.web import admin_pages

urlpatterns = [
    path("admin/users/", admin_pages.users, name="admin-users"),
    re_path(rf"^admin/users/(?P<user_id>{ID_PATTERN})/$", admin_pages.user, name="admin-user"),
    path("admin/settings/", admin_pages.settings_page, name="admin-settings"),
    path("admin/audit/", admin_pages.audit, name="admin-audit"),
]
