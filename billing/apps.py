from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = "Billing"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from payments.saved_methods import saved_method_resolver_register

        from .services import saved_method_resolve

        # payments never imports billing: it asks the resolver registered here for "pm_" ids.
        saved_method_resolver_register(prefix="pm", resolver=saved_method_resolve)
