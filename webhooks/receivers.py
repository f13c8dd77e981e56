"""What the webhooks app does on payments' signals: recorded events, the order page."""

from __future__ import annotations

import threading
import weakref

from django.db import transaction
from django.template.loader import render_to_string

from backoffice.on_commit import send_on_commit_batched
from backoffice.request_memo import request_memo, request_memo_forget
from payments.config_cache import merchant_config
from payments.models import Event

from .models import WebhookEndpoint
from .selectors import deliveries_of_objects
from .services.deliveries import deliveries_write


def event_recorded_deliveries(sender, *, event: Event, **kwargs) -> None:
    """Write the event's deliveries in the transaction that records it; wake a worker on commit.

    The delivery rows commit or roll back with the event, so no committed event lacks them: a
    lost message costs a delay (``webhooks_sweep`` sends them), never a webhook. The endpoints
    are those enabled and subscribed when the event is recorded. The deliveries of one commit
    go out in one message; none for an event no endpoint wants.
    """
    endpoints = [
        endpoint for endpoint in _endpoints_of(event) if endpoint.subscribes_to(event.type)
    ]
    if not endpoints:
        return
    deliveries = deliveries_write(event=event, endpoints=endpoints)
    from .tasks import deliveries_send_task

    send_on_commit_batched(deliveries_send_task, [d.pk for d in deliveries])


class _TransactionEndpoints:
    """The enabled endpoints read in the current transaction, per (merchant, mode): read once
    per transaction, not once per event (a payment records several)."""

    __slots__ = ("__weakref__", "by_scope", "ended")

    def __init__(self) -> None:
        self.by_scope: dict[tuple[int, bool], list[WebhookEndpoint]] = {}
        self.ended = False

    def __call__(self) -> None:
        self.ended = True


# This thread's endpoints of the open transaction. Django holds the object as an on-commit
# callback: it runs (ended) on commit, and is dropped (the weak reference dies) on rollback.
_local = threading.local()


_MEMO = "webhooks.endpoints"


def _endpoints_of(event: Event) -> list[WebhookEndpoint]:
    """The merchant's enabled endpoints: by its configuration version when the event came with
    its merchant (``payments.config_cache``: no query), else as below."""
    if Event.merchant.is_cached(event):
        return merchant_config(
            event.merchant,
            "webhooks.endpoints",
            event.livemode,
            lambda: _endpoints_read(event.merchant_id, event.livemode),
        )
    return _endpoints_enabled(event.merchant_id, event.livemode)


def _endpoints_read(merchant_id: int, livemode: bool) -> list[WebhookEndpoint]:
    return list(
        WebhookEndpoint.objects.filter(
            merchant_id=merchant_id, livemode=livemode, enabled=True
        ).only("pk", "enabled_events")
    )


def _endpoints_enabled(merchant_id: int, livemode: bool) -> list[WebhookEndpoint]:
    """Read once per request (a payment's transactions share them), else once per transaction."""
    memo = request_memo()
    if memo is not None:
        by_scope = memo.setdefault(_MEMO, {})
    else:
        current = getattr(_local, "endpoints", None)
        cache = current() if current is not None else None
        if cache is None or cache.ended:
            cache = _TransactionEndpoints()
            _local.endpoints = weakref.ref(cache)
            transaction.on_commit(cache)
        by_scope = cache.by_scope
    key = (merchant_id, livemode)
    if key not in by_scope:
        by_scope[key] = _endpoints_read(merchant_id, livemode)
    return by_scope[key]


def endpoints_forget(sender, **kwargs) -> None:
    """Drop this thread's endpoints read in the open transaction or request (one was written)."""
    _local.endpoints = None
    request_memo_forget(_MEMO)


def order_page_deliveries(sender, *, request, order, object_ids: list[str], **kwargs) -> str:
    """Return the order page's table of the webhook deliveries of the order's events."""
    return render_to_string(
        "admin/webhooks/order_deliveries.html",
        {"deliveries": deliveries_of_objects(object_ids=object_ids)},
        request=request,
    )
