"""Reads: a merchant's endpoints and deliveries, and the back office's figures."""

from __future__ import annotations

from django.db.models import QuerySet

from payments.errors import NotFound
from payments.models import Merchant

from .models import WebhookDelivery, WebhookEndpoint


def webhook_endpoint_get(
    *, merchant: Merchant, livemode: bool, endpoint_id: str
) -> WebhookEndpoint:
    """Return the merchant's endpoint in the mode; raise ``NotFound`` for any other."""
    endpoint = WebhookEndpoint.objects.filter(
        merchant=merchant, livemode=livemode, public_id=endpoint_id
    ).first()
    if endpoint is None:
        raise NotFound("No such webhook endpoint.")
    return endpoint


def webhook_endpoint_list(*, merchant: Merchant, livemode: bool) -> QuerySet[WebhookEndpoint]:
    """Return the merchant's endpoints in the mode, newest first."""
    return WebhookEndpoint.objects.filter(merchant=merchant, livemode=livemode).order_by(
        "-created", "-id"
    )


def endpoint_delivery_list(*, endpoint: WebhookEndpoint) -> QuerySet[WebhookDelivery]:
    """Return the endpoint's deliveries, newest first, with their endpoint and event."""
    return endpoint.deliveries.select_related("endpoint", "event").order_by("-created", "-id")


def deliveries_of_objects(*, object_ids: list[str]) -> list[WebhookDelivery]:
    """Return the deliveries of the events of these objects (public ids), oldest first."""
    return list(
        WebhookDelivery.objects.filter(event__object_id__in=object_ids)
        .select_related("event", "endpoint")
        .order_by("created")
    )


def deliveries_failed(*, livemode: bool) -> QuerySet[WebhookDelivery]:
    """Return the deliveries that gave up, in the mode (to be scoped by the caller)."""
    return WebhookDelivery.objects.filter(status=WebhookDelivery.Status.FAILED, livemode=livemode)


def endpoints_disabled_by_platform(*, livemode: bool) -> QuerySet[WebhookEndpoint]:
    """Return the endpoints disabled by the platform (not by their merchant), latest first.

    An endpoint registered disabled has no reason; one its merchant disabled has theirs.
    """
    from .services.endpoints import DISABLED_BY_MERCHANT

    return (
        WebhookEndpoint.objects.filter(enabled=False, livemode=livemode)
        .exclude(disabled_reason__in=["", DISABLED_BY_MERCHANT])
        .order_by("-disabled_at", "-pk")
    )
