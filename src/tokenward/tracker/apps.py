"""Django app configuration for the tracker."""

from django.apps import AppConfig


class TrackerConfig(AppConfig):
    name = "tokenward.tracker"
    label = "tracker"
    default_auto_field = "django.db.models.BigAutoField"
