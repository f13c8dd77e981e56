from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = "Webhooks"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from payments.config_cache import on_config_saved
        from payments.signals import event_recorded, order_page_sections

        from . import receivers
        from .models import WebhookEndpoint

        event_recorded.connect(receivers.event_recorded_deliveries, dispatch_uid="webhooks")
        for signal in (post_save, post_delete):
            signal.connect(
                receivers.endpoints_forget, sender=WebhookEndpoint, dispatch_uid="webhooks"
            )
            # The merchant's new configuration version: no process reads the old endpoints.
            signal.connect(on_config_saved, sender=WebhookEndpoint, dispatch_uid="webhooks.config")
        order_page_sections.connect(receivers.order_page_deliveries, dispatch_uid="webhooks")
