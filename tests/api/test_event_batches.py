"""A transaction's events are written together, in one INSERT, with consecutive sequences."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from payments.models import Event
from payments.services.events import event_batch, event_record
from tests.api.conftest import card_body

pytestmark = pytest.mark.django_db


def _event_inserts(queries) -> int:
    return sum(q["sql"].startswith('INSERT INTO "payments_event"') for q in queries)


def test_a_payment_in_one_call_writes_its_events_in_two_inserts_in_order(
    api, django_capture_on_commit_callbacks
):
    with CaptureQueriesContext(connection) as queries:
        with django_capture_on_commit_callbacks(execute=True):
            response = api.post(
                "/api/v1/payments",
                {
                    "amount": 1000,
                    "currency": "USD",
                    "reference": "batch-1",
                    "payment_method": card_body(),
                },
                format="json",
                HTTP_IDEMPOTENCY_KEY="batch-1",
            )
    body = response.json()

    assert response.status_code == 201, body
    # One per transaction of ours: the order and payment opened; the answer applied.
    assert _event_inserts(queries.captured_queries) == 2
    events = Event.objects.order_by("pk")
    assert [(e.type, e.sequence) for e in events] == [
        ("order.created", 1),
        ("payment.created", 1),
        ("payment.authorized", 2),
        ("payment.captured", 3),
        ("order.paid", 2),
    ]
    assert events.get(type="payment.authorized").data["status"] == "authorized"
    assert events.get(type="payment.captured").data["status"] == "captured"


def test_events_of_one_object_in_a_batch_follow_its_last_one(order):
    event_record(obj=order, type="order.updated")  # sequence 2 (the order's created is 1)

    with transaction.atomic(), event_batch():
        first = event_record(obj=order, type="order.updated")
        second = event_record(obj=order, type="order.updated")
        assert first.pk is None  # not written before the batch ends

    assert first.pk is not None and second.pk > first.pk
    events = Event.objects.filter(object_id=order.public_id).order_by("pk")
    assert list(events.values_list("sequence", flat=True)) == [1, 2, 3, 4]


def test_a_batch_that_raises_writes_none_of_its_events(order):
    before = Event.objects.count()

    def failing():
        with transaction.atomic(), event_batch():
            event_record(obj=order, type="order.updated")
            raise RuntimeError("the transaction fails")

    with pytest.raises(RuntimeError):
        failing()

    assert Event.objects.count() == before


def test_an_inner_batch_is_written_with_the_outer_one(order):
    with CaptureQueriesContext(connection) as queries, transaction.atomic(), event_batch():
        event_record(obj=order, type="order.updated")
        with event_batch():
            event_record(obj=order, type="order.updated")
        assert _event_inserts(queries.captured_queries) == 0

    assert _event_inserts(queries.captured_queries) == 1
