"""URLs of the audit log API."""

from django.urls import re_path

from tokenward.audit.views import AuditEventList

# Like the tracker API, with or without a trailing slash.
urlpatterns = [re_path(r"^audit-events/?$", AuditEventList.as_view(), name="audit-event-list")]
