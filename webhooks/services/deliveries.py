"""Deliveries: one per (event, endpoint), created for committed events, restarted by a
redelivery, and sent again by the sweep when their task was lost."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from backoffice.metrics import sweep_found
from backoffice.on_commit import send_on_commit
from payments.errors import InvalidTransition, NotFound
from payments.models import Event, Merchant

from ..models import WebhookDelivery, WebhookEndpoint
from ..selectors import webhook_endpoint_list

logger = logging.getLogger(__name__)

#: Statuses of a delivery that still has attempts to make.
ACTIVE = (WebhookDelivery.Status.PENDING, WebhookDelivery.Status.RETRYING)
#: The sweep re-sends a due delivery whose task has not run this long after it was due.
LOST_TASK_GRACE = timedelta(minutes=2)
SWEEP_BATCH = 500
#: Retries due later than this get no message now: the sweep finds them when due.
MAX_COUNTDOWN = 15 * 60


def delivery_enqueue(delivery_pk: int, *, countdown: int | None = None) -> None:
    """Send ``webhook_deliver_task`` once the current transaction commits; with the broker
    unreachable, ``webhooks_sweep`` sends it once the delivery is overdue."""
    from ..tasks import webhook_deliver_task

    if countdown is not None and countdown > MAX_COUNTDOWN:
        # A message waiting hours in a worker would outlive the broker's visibility timeout
        # (and be delivered twice); the sweep sends the delivery once it is due.
        return
    send_on_commit(webhook_deliver_task, delivery_pk, countdown=countdown)


def delivery_lock(delivery_pk: int) -> WebhookDelivery | None:
    """Return the delivery, its row locked (not its endpoint's or event's), or None."""
    return (
        WebhookDelivery.objects.select_for_update(of=("self",))
        .select_related("endpoint", "event")
        .filter(pk=delivery_pk)
        .first()
    )


def _delivery_get_or_create(
    event: Event, endpoint: WebhookEndpoint, *, enqueue: bool = True
) -> tuple[WebhookDelivery, bool]:
    """Return the event's delivery to the endpoint, creating it (and, with ``enqueue``, its
    task) if missing."""
    try:
        with transaction.atomic():
            delivery, created = WebhookDelivery.objects.get_or_create(
                event=event,
                endpoint=endpoint,
                defaults={
                    "merchant_id": event.merchant_id,
                    "livemode": event.livemode,
                    "next_attempt_at": timezone.now(),
                },
            )
    except IntegrityError:
        # Another worker created it between our read and insert: theirs sends the task.
        return WebhookDelivery.objects.get(event=event, endpoint=endpoint), False
    if created and enqueue:
        delivery_enqueue(delivery.pk)
    return delivery, created


def deliveries_write(*, event: Event, endpoints: list[WebhookEndpoint]) -> list[WebhookDelivery]:
    """Insert the event's deliveries to ``endpoints`` (one statement), due now; return them.

    For an event just recorded, in its transaction: no delivery of it exists yet. No task is
    sent: the caller wakes a worker once the transaction commits, or the sweep does.
    """
    now = timezone.now()
    return WebhookDelivery.objects.bulk_create(
        WebhookDelivery(
            event=event,
            endpoint=endpoint,
            merchant_id=event.merchant_id,
            livemode=event.livemode,
            next_attempt_at=now,
        )
        for endpoint in endpoints
    )


def deliveries_send(*, delivery_pks: list[int]) -> int:
    """Send one ``webhook_deliver_task`` per delivery (a commit's deliveries, from one message);
    return how many."""
    for pk in delivery_pks:
        delivery_enqueue(pk)
    return len(delivery_pks)


def deliveries_create_for_event(*, event_pk: int, enqueue: bool = True) -> list[WebhookDelivery]:
    """Create one delivery per enabled endpoint subscribed to the event; return the new ones.

    Idempotent: a delivery exists once per (event, endpoint), so running this twice creates and
    sends nothing more. Without ``enqueue`` no task is sent: ``webhooks_sweep`` sends them.
    """
    event = Event.objects.filter(pk=event_pk).first()
    if event is None:
        return []
    endpoints = WebhookEndpoint.objects.filter(
        merchant_id=event.merchant_id, livemode=event.livemode, enabled=True
    )
    created = []
    for endpoint in endpoints:
        if endpoint.subscribes_to(event.type):
            delivery, new = _delivery_get_or_create(event, endpoint, enqueue=enqueue)
            if new:
                created.append(delivery)
    return created


def delivery_restart(*, delivery_pk: int) -> WebhookDelivery:
    """Start a delivery over (a new attempt now, a fresh retry schedule), whatever its state."""
    with transaction.atomic():
        delivery = delivery_lock(delivery_pk)
        if delivery is None:
            raise NotFound("No such webhook delivery.")
        delivery.restart()
        delivery.schedule_step, delivery.retries_end_at = 0, None
        delivery.next_attempt_at, delivery.completed_at = timezone.now(), None
        delivery.save()
        delivery_enqueue(delivery.pk)
    return delivery


def event_redeliver(
    *, merchant: Merchant, livemode: bool, event_id: str, endpoint_id: str | None = None
) -> list[WebhookDelivery]:
    """Send an event again to its enabled endpoints (or one of them); return the deliveries.

    An endpoint subscribed to the event that never got it (created later) gets a new delivery.
    """
    event = Event.objects.filter(merchant=merchant, livemode=livemode, public_id=event_id).first()
    if event is None:
        raise NotFound("No such event.")
    endpoints = webhook_endpoint_list(merchant=merchant, livemode=livemode).filter(enabled=True)
    if endpoint_id is not None:
        endpoints = endpoints.filter(public_id=endpoint_id)
        if not endpoints:
            raise NotFound("No such enabled webhook endpoint.")
    out = []
    for endpoint in endpoints:
        if endpoint_id is None and not endpoint.subscribes_to(event.type):
            continue
        delivery, created = _delivery_get_or_create(event, endpoint)
        out.append(delivery if created else delivery_restart(delivery_pk=delivery.pk))
    return out


def endpoint_redeliver_failed(
    *, endpoint: WebhookEndpoint, since: datetime, limit: int = 1000
) -> list[WebhookDelivery]:
    """Restart the endpoint's failed deliveries of events since ``since`` (oldest first)."""
    if not endpoint.enabled:
        # The endpoint's state, not the request, is at fault: no field to name.
        raise InvalidTransition(
            "The endpoint is disabled; enable it before redelivering to it.",
            code="endpoint_disabled",
        )
    pks = list(
        endpoint.deliveries.filter(status=WebhookDelivery.Status.FAILED, event__created__gte=since)
        .order_by("event__created", "id")
        .values_list("pk", flat=True)[:limit]
    )
    return [delivery_restart(delivery_pk=pk) for pk in pks]


def webhooks_sweep() -> int:
    """Re-send deliveries due for longer than ``LOST_TASK_GRACE`` (their task was lost); return
    how many.

    Safe with several sweeps at once: each claims its deliveries with ``SELECT … FOR UPDATE SKIP
    LOCKED`` (PostgreSQL) and marks them due now, so another sweep skips them until they are
    overdue again. The attempt itself is claimed under the delivery's lock: a duplicate task
    finds nothing due and sends nothing.
    """
    now = timezone.now()
    with transaction.atomic():
        pks = list(
            WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(status__in=ACTIVE, next_attempt_at__lte=now - LOST_TASK_GRACE)
            # Held by their endpoint's open circuit: found once it closes.
            .exclude(endpoint__circuit_open_until__gt=now)
            .order_by("next_attempt_at", "pk")
            .values_list("pk", flat=True)[:SWEEP_BATCH]
        )
        WebhookDelivery.objects.filter(pk__in=pks).update(next_attempt_at=now, updated=now)
        for pk in pks:
            delivery_enqueue(pk)
    if pks:
        logger.warning("webhook sweep re-sent %s overdue deliveries", len(pks))
    sweep_found(sweep="webhooks", count=len(pks))
    return len(pks)
