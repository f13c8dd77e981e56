"""Celery tasks of webhooks: each takes ids and calls one service; each is safe to run twice.

A committed event's deliveries are rows written with it; the messages only wake a worker, and
``webhooks_sweep`` finds again the deliveries whose message was lost. The task names of
``payments.tasks`` are kept: messages queued by earlier versions carry them (the two event
dispatch tasks serve only those: deliveries are no longer created by a task).
"""

from celery import shared_task

from . import services


@shared_task(name="webhooks.tasks.deliveries_send_task")
def deliveries_send_task(delivery_pks: list[int]) -> int:
    """Send the delivery tasks of one commit's deliveries; return how many."""
    return services.deliveries_send(delivery_pks=delivery_pks)


@shared_task(name="payments.tasks.events_dispatch_task")
def events_dispatch_task(event_pks: list[int]) -> int:
    """Create the missing deliveries of events (messages queued by earlier versions); return
    deliveries created."""
    return sum(len(services.deliveries_create_for_event(event_pk=pk)) for pk in event_pks)


@shared_task(name="payments.tasks.event_dispatch_task")
def event_dispatch_task(event_pk: int) -> int:
    """One event (messages queued before ``events_dispatch_task``); return deliveries created."""
    return len(services.deliveries_create_for_event(event_pk=event_pk))


@shared_task(name="payments.tasks.webhook_deliver_task", acks_late=True)
def webhook_deliver_task(delivery_id: int) -> str:
    """Make a webhook delivery's due attempt, with other due ones of its endpoint in the same
    batch (each schedules its own retry). Return the outcome of ``delivery_id``."""
    return services.endpoint_batch_attempt(delivery_pk=delivery_id).outcome


@shared_task(name="payments.tasks.webhooks_sweep_task")
def webhooks_sweep_task() -> int:
    """Re-send webhook deliveries whose task was lost (beat, every minute)."""
    return services.webhooks_sweep()
