"""Celery tasks: each takes ids, fetches, and calls one service; each is safe to run twice."""

from celery import shared_task

from institutions.connector import ConnectorTimeout

from . import services


@shared_task(
    name="payments.tasks.refund_process_task",
    autoretry_for=(ConnectorTimeout,),
    retry_backoff=5,
    retry_backoff_max=600,
    max_retries=20,
)
def refund_process_task(refund_pk: int) -> str:
    return services.refund_process(refund_pk=refund_pk).status


@shared_task(name="payments.tasks.refunds_sweep_task")
def refunds_sweep_task() -> int:
    """Send again refunds whose task was lost (beat, every 5 minutes)."""
    return services.refunds_sweep()


@shared_task(name="payments.tasks.orders_expire_task")
def orders_expire_task() -> int:
    return services.orders_expire()


@shared_task(name="payments.tasks.authorizations_expire_task")
def authorizations_expire_task() -> int:
    return services.authorizations_expire()


@shared_task(name="payments.tasks.bank_transfers_expire_task")
def bank_transfers_expire_task() -> int:
    return services.bank_transfers_expire()


@shared_task(name="payments.tasks.attempts_reconcile_task")
def attempts_reconcile_task() -> int:
    return services.attempts_reconcile()


@shared_task(name="payments.tasks.events_dispatch_task")
def events_dispatch_task(event_pks: list[int]) -> int:
    """Fan the events of one commit out to their merchants' webhook endpoints, in order;
    return deliveries created."""
    from .webhooks import deliveries_create_for_event

    return sum(len(deliveries_create_for_event(event_pk=pk)) for pk in event_pks)


@shared_task(name="payments.tasks.event_dispatch_task")
def event_dispatch_task(event_pk: int) -> int:
    """One event (messages queued before ``events_dispatch_task``); return deliveries created."""
    from .webhooks import deliveries_create_for_event

    return len(deliveries_create_for_event(event_pk=event_pk))


@shared_task(name="payments.tasks.webhook_deliver_task", acks_late=True)
def webhook_deliver_task(delivery_id: int) -> str:
    """Make a webhook delivery's due attempt, with other due ones of its endpoint in the same
    batch (each schedules its own retry). Return the outcome of ``delivery_id``."""
    from .webhooks import deliveries_attempt

    return deliveries_attempt(delivery_pk=delivery_id).outcome


@shared_task(name="payments.tasks.webhooks_sweep_task")
def webhooks_sweep_task() -> int:
    """Re-send webhook deliveries whose task was lost (beat, every minute)."""
    from .webhooks import webhooks_sweep

    return webhooks_sweep()
