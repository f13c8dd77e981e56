"""The fault suite's tools: real workers it may kill, the broker it may flush or stop, API calls
that must never answer 500, the sweep run now, and the invariants command to end each test.

Every test here runs in the PostgreSQL + Redis tier with real Celery workers (see
``tests.conftest.celery_worker_start``); deadlines are polled, never slept out.
"""

from __future__ import annotations

import io
import uuid

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from tests.api.conftest import card_body
from tests.webhooks.conftest import make_endpoint, other_receiver, receiver  # noqa: F401

__all__ = ["make_endpoint", "other_receiver", "receiver"]


@pytest.fixture
def real_broker(transactional_db):
    """Tasks are published to the configured broker for real (nothing eager), which starts empty."""
    from merchant_portal.celery import app

    app.conf.task_always_eager = False
    app.control.purge()
    yield app
    app.conf.task_always_eager = True


def api_client(merchant) -> APIClient:
    from payments.services import api_key_create

    _, raw = api_key_create(merchant=merchant, livemode=False)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def paid_order(api: APIClient, *, amount: int = 1500) -> tuple[object, object]:
    """Create an order and pay it by card through the API, each call with its own
    Idempotency-Key; return both answers (neither may be a 500)."""
    created = api.post(
        "/api/v1/orders",
        {"amount": amount, "currency": "USD", "reference": f"o-{uuid.uuid4().hex[:12]}"},
        format="json",
        HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex,
    )
    assert created.status_code != 500, created.content
    if created.status_code != 201:
        return created, None
    paid = api.post(
        f"/api/v1/orders/{created.json()['id']}/payments",
        {"payment_method": card_body()},
        format="json",
        HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex,
    )
    assert paid.status_code != 500, paid.content
    return created, paid


def sweep_now(monkeypatch) -> int:
    """Run the webhook sweep as beat would, counting every due delivery as overdue (instead of
    those due for 2 minutes): return how many it re-sent."""
    from datetime import timedelta

    from webhooks.services import deliveries, webhooks_sweep

    monkeypatch.setattr(deliveries, "LOST_TASK_GRACE", timedelta(0))
    return webhooks_sweep()


def undelivered_events(merchant) -> list[str]:
    """Return the ids of the merchant's events some delivery of which has not succeeded (or
    that have none while the merchant has an endpoint)."""
    from payments.models import Event
    from webhooks.models import WebhookDelivery

    events = Event.objects.filter(merchant=merchant)
    succeeded = set(
        WebhookDelivery.objects.filter(event__in=events, status="succeeded").values_list(
            "event_id", flat=True
        )
    )
    pending = set(
        WebhookDelivery.objects.filter(event__in=events)
        .exclude(status="succeeded")
        .values_list("event_id", flat=True)
    )
    return [e.public_id for e in events if e.pk not in succeeded or e.pk in pending]


def assert_invariants_command() -> None:
    """``manage.py check_invariants`` finds nothing wrong."""
    out = io.StringIO()
    call_command("check_invariants", stdout=out)
    assert "All invariants hold." in out.getvalue(), out.getvalue()
