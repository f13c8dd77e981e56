from django.apps import AppConfig


class InstitutionsConfig(AppConfig):
    name = "institutions"
    verbose_name = "Sandbox institutions"
    default_auto_field = "django.db.models.BigAutoField"
