"""Delivery to a real receiver: signatures, retries, give-up, timeouts, redirects, disabling."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from standardwebhooks import Webhook

from payments.models import Event, WebhookDelivery
from payments.representations import event_data
from payments.tasks import webhook_deliver_task
from payments.webhooks import (
    RETRY_JITTER,
    RETRY_SCHEDULE,
    deliveries_create_for_event,
    delivery_attempt,
)


def _event(order, type_="order.created") -> Event:
    return Event.objects.get(object_id=order.public_id, type=type_)


def _deliver_first(order, type_="order.created") -> WebhookDelivery:
    """Create the event's deliveries and make the first attempt of the only one."""
    (delivery,) = deliveries_create_for_event(event_pk=_event(order, type_).pk)
    webhook_deliver_task(delivery.pk)
    delivery.refresh_from_db()
    return delivery


def test_paid_order_reaches_subscribed_endpoint_with_a_verifiable_signature(
    make_endpoint, receiver, order, pay
):
    endpoint, secret = make_endpoint(enabled_events=["order.paid"])

    pay(order)

    (request,) = receiver.requests
    payload = Webhook(secret).verify(request.body, request.headers)
    event = Event.objects.get(object_id=order.public_id, type="order.paid")
    assert payload == json.loads(json.dumps(event_data(event)))
    assert payload["data"]["object"]["status"] == "paid"
    assert request.headers["webhook-id"] == event.public_id
    assert request.headers["content-type"] == "application/json"
    delivery = WebhookDelivery.objects.get(endpoint=endpoint, event=event)
    assert delivery.status == "succeeded"
    (attempt,) = delivery.attempts.all()
    assert (attempt.status_code, attempt.succeeded, attempt.response_body) == (200, True, "ok")
    assert attempt.latency_ms is not None


def test_events_of_one_object_carry_increasing_sequence(make_endpoint, receiver, order, pay):
    make_endpoint(enabled_events=["*"])

    payment = pay(order)

    payment_events = [
        json.loads(r.body) for r in receiver.requests if json.loads(r.body)["data"]["object"]["id"] == payment.public_id
    ]
    sequences = sorted(e["sequence"] for e in payment_events)
    assert len(sequences) >= 2
    assert sequences == list(range(sequences[0], sequences[0] + len(sequences)))
