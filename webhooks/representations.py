"""The API's JSON of endpoints and deliveries (the event body itself is payments')."""

from __future__ import annotations

from django.utils import timezone

from payments.representations import iso_timestamp

from .models import WebhookDelivery, WebhookEndpoint


def endpoint_data(endpoint: WebhookEndpoint, *, secret: str | None = None) -> dict:
    """Return the API JSON of an endpoint; ``secret`` only in the answer that created or
    rotated it."""
    rotation_ends_at = endpoint.previous_secret_expires_at
    data = {
        "id": endpoint.public_id,
        "object": "webhook_endpoint",
        "livemode": endpoint.livemode,
        "url": endpoint.url,
        "description": endpoint.description,
        "enabled_events": endpoint.enabled_events,
        "enabled": endpoint.enabled,
        "disabled_reason": endpoint.disabled_reason or None,
        "disabled_at": iso_timestamp(endpoint.disabled_at),
        "failing_since": iso_timestamp(endpoint.failing_since),
        "secret_rotation_ends_at": iso_timestamp(rotation_ends_at)
        if rotation_ends_at and rotation_ends_at > timezone.now()
        else None,
        "created": iso_timestamp(endpoint.created),
    }
    if secret is not None:
        data["secret"] = secret
    return data


def delivery_data(delivery: WebhookDelivery) -> dict:
    """Return the API JSON of a delivery; ``next_attempt_at`` only while attempts remain."""
    active = delivery.status in (WebhookDelivery.Status.PENDING, WebhookDelivery.Status.RETRYING)
    return {
        "id": delivery.public_id,
        "object": "webhook_delivery",
        "livemode": delivery.livemode,
        "endpoint": delivery.endpoint.public_id,
        "event": delivery.event.public_id,
        "event_type": delivery.event.type,
        "status": delivery.status,
        "attempt_count": delivery.attempt_count,
        "next_attempt_at": iso_timestamp(delivery.next_attempt_at) if active else None,
        "last_status_code": delivery.last_status_code,
        "last_error": delivery.last_error or None,
        "created": iso_timestamp(delivery.created),
        "completed_at": iso_timestamp(delivery.completed_at),
    }
