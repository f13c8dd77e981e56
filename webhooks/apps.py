from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = "Webhooks"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from payments.signals import events_committed, order_page_sections

        from . import receivers

        events_committed.connect(receivers.events_committed_dispatch, dispatch_uid="webhooks")
        order_page_sections.connect(receivers.order_page_deliveries, dispatch_uid="webhooks")
