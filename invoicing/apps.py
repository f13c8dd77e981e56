from django.apps import AppConfig


class InvoicingConfig(AppConfig):
    name = "invoicing"
    verbose_name = "Invoicing"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        import logging

        # WeasyPrint logs a line per rendering step of every PDF at INFO: noise in every log.
        logging.getLogger("weasyprint").setLevel(logging.WARNING)

        from payments.signals import events_recorded

        from .receivers import on_events_recorded

        # payments never imports invoicing: a captured order of a pay link, a declined payment
        # and every invoice event reach this app through the signal, inside their transaction.
        events_recorded.connect(on_events_recorded, dispatch_uid="invoicing.on_events_recorded")
