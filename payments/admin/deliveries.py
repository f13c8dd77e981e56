"""The webhook deliveries of an order's events, a section of the order page."""

from __future__ import annotations

from ..models import WebhookDelivery
from .orders import order_page_sections


def deliveries_section(object_ids: list[str]) -> dict:
    deliveries = (
        WebhookDelivery.objects.filter(event__object_id__in=object_ids)
        .select_related("event", "endpoint")
        .order_by("created")
    )
    return {"webhooks_installed": True, "deliveries": list(deliveries)}


order_page_sections.append(deliveries_section)
