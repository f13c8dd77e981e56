from django.apps import AppConfig


class DevelopersConfig(AppConfig):
    name = "developers"
    verbose_name = "Developers"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from payments.api.request_guards import request_guard_register
        from payments.signals import order_page_sections

        from . import receivers, signing

        order_page_sections.connect(receivers.order_page_requests, dispatch_uid="developers")
        request_guard_register(guard=signing.request_signature_verify)
