"""Celery tasks of invoicing: each takes ids and calls one service."""

from celery import shared_task

from . import services


@shared_task(name="invoicing.tasks.invoice_email_task")
def invoice_email_task(invoice_pk: int, to: str, kind: str) -> None:
    services.invoice_email_deliver(invoice_pk=invoice_pk, to=to, kind=kind)


@shared_task(name="invoicing.tasks.reminders_sweep_task")
def reminders_sweep_task() -> int:
    """Send the reminders due and record overdue invoices (beat, hourly)."""
    return services.invoice_reminders_sweep()


@shared_task(name="invoicing.tasks.invoice_orders_close_task")
def invoice_orders_close_task(invoice_pk: int) -> int:
    """Cancel the pending orders of a paid or void invoice (messages queued before the batched
    task below; safe to run twice)."""
    return services.invoice_orders_close(invoice_pks=[invoice_pk])


@shared_task(name="invoicing.tasks.invoices_orders_close_task")
def invoices_orders_close_task(invoice_pks: list[int]) -> int:
    """Cancel the pending orders of paid or void invoices (one message per commit)."""
    return services.invoice_orders_close(invoice_pks=invoice_pks)
