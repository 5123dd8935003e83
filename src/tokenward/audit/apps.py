from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "tokenward.audit"
    label = "audit"
    verbose_name = "Audit log"
