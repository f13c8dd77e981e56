from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = "Billing"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from payments.saved_methods import (
            customer_directory_register,
            saved_method_resolver_register,
        )

        from .services import saved_method_resolve
        from .services.checkout import DIRECTORY
        from .services.methods import saved_methods_resolve

        # payments never imports billing: it asks the resolver registered here for "pm_" ids,
        # and the customer directory for "cus_" ids (orders naming a customer, the checkout).
        saved_method_resolver_register(
            prefix="pm", resolver=saved_method_resolve, many=saved_methods_resolve
        )
        from payments.passkeys import passkey_store_register

        from .services.passkeys import STORE

        passkey_store_register(store=STORE)
        customer_directory_register(prefix="cus", directory=DIRECTORY)
