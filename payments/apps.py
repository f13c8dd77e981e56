from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "payments"
    verbose_name = "Payments"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from fx.currencies import exponent_lookup_register

        from .money import exponent

        # fx sits below payments: it asks the one currency table through this lookup.
        exponent_lookup_register(exponent)
