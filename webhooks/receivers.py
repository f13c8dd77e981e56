"""What the webhooks app does on payments' signals: committed events, the order page."""

from __future__ import annotations

import logging

from django.db.models import Exists, OuterRef
from django.template.loader import render_to_string
from kombu.exceptions import OperationalError

from payments.models import Event

from .models import WebhookEndpoint
from .selectors import deliveries_of_objects
from .services.deliveries import deliveries_create_for_event

logger = logging.getLogger(__name__)


def events_committed_dispatch(sender, *, event_pks: list[int], **kwargs) -> None:
    """Send one ``events_dispatch_task`` for the committed events some endpoint wants.

    No message at all when no enabled endpoint of their merchant and mode wants any of them:
    decided now, at commit time, so an endpoint created before the commit still gets them. If
    the broker cannot take the message, the deliveries are written here (the database is the
    outbox) and the sweep sends them once it is back: the request that made the events has
    committed and must not fail now.
    """
    pks = events_wanted(event_pks)
    if not pks:
        return
    from .tasks import events_dispatch_task

    try:
        events_dispatch_task.delay(pks)
    except OperationalError:
        logger.warning("broker unreachable: deliveries of %s events left to the sweep", len(pks))
        for pk in pks:
            deliveries_create_for_event(event_pk=pk, enqueue=False)


def events_wanted(event_pks: list[int]) -> list[int]:
    """Return, in the given order, the ids of the events (found in the database) that an
    enabled endpoint of their merchant and mode subscribes to."""
    has_endpoint = WebhookEndpoint.objects.filter(
        merchant_id=OuterRef("merchant_id"), livemode=OuterRef("livemode"), enabled=True
    )
    events = list(
        Event.objects.filter(Exists(has_endpoint), pk__in=event_pks).values_list(
            "pk", "merchant_id", "livemode", "type"
        )
    )
    if not events:
        return []
    endpoints: dict[tuple[int, bool], list[WebhookEndpoint]] = {}
    for endpoint in WebhookEndpoint.objects.filter(
        merchant_id__in={merchant_id for _, merchant_id, _, _ in events}, enabled=True
    ).only("merchant_id", "livemode", "enabled_events"):
        endpoints.setdefault((endpoint.merchant_id, endpoint.livemode), []).append(endpoint)
    wanted = {
        pk
        for pk, merchant_id, livemode, type_ in events
        if any(e.subscribes_to(type_) for e in endpoints.get((merchant_id, livemode), ()))
    }
    return [pk for pk in dict.fromkeys(event_pks) if pk in wanted]


def order_page_deliveries(sender, *, request, order, object_ids: list[str], **kwargs) -> str:
    """Return the order page's table of the webhook deliveries of the order's events."""
    return render_to_string(
        "admin/webhooks/order_deliveries.html",
        {"deliveries": deliveries_of_objects(object_ids=object_ids)},
        request=request,
    )
