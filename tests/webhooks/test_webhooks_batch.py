"""A delivery task also attempts the other due deliveries of its endpoint, each on its own terms."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import time_machine
from standardwebhooks import Webhook

import webhooks.services.attempts
from payments.models import Event
from tests.conftest import event_deliveries
from webhooks.models import WebhookDelivery
from webhooks.services import endpoint_batch_attempt
from webhooks.tasks import webhook_deliver_task


def _deliveries(orders) -> list[WebhookDelivery]:
    """Create the deliveries of each order's ``order.created`` event (their tasks not run)."""
    out = []
    for order in orders:
        event = Event.objects.get(object_id=order.public_id, type="order.created")
        out += event_deliveries(event.pk)
    return out


def test_one_task_delivers_each_due_delivery_of_its_endpoint_once_and_records_each_outcome(
    make_endpoint, receiver, make_order
):
    _, secret = make_endpoint()
    deliveries = _deliveries([make_order() for _ in range(3)])

    outcome = webhook_deliver_task(deliveries[0].pk)
    later = [webhook_deliver_task(d.pk) for d in deliveries[1:]]

    assert outcome == "succeeded"
    assert later == ["skipped", "skipped"]
    assert len(receiver.requests) == 3
    for delivery in deliveries:
        delivery.refresh_from_db()
        assert delivery.status == "succeeded"
        (attempt,) = delivery.attempts.all()
        assert (attempt.number, attempt.status_code, attempt.succeeded) == (1, 200, True)
        assert attempt.finished_at is not None
    ids = sorted(Webhook(secret).verify(r.body, r.headers)["id"] for r in receiver.requests)
    assert ids == sorted(d.event.public_id for d in deliveries)


def test_a_failed_delivery_in_a_batch_is_retried_on_its_own_while_the_others_succeed(
    make_endpoint, receiver, make_order
):
    endpoint, _ = make_endpoint()
    deliveries = _deliveries([make_order() for _ in range(3)])
    receiver.answer(500)  # whichever request comes first

    webhook_deliver_task(deliveries[0].pk)

    by_status = {}
    for delivery in WebhookDelivery.objects.filter(pk__in=[d.pk for d in deliveries]):
        by_status.setdefault(delivery.status, []).append(delivery)
    assert sorted((s, len(d)) for s, d in by_status.items()) == [("retrying", 1), ("succeeded", 2)]
    (failed,) = by_status["retrying"]
    attempt = failed.attempts.get()
    assert (attempt.status_code, attempt.succeeded) == (500, False)
    assert failed.next_attempt_at == attempt.finished_at + timedelta(seconds=attempt.retry_in)
    endpoint.refresh_from_db()
    assert endpoint.enabled is True

    with time_machine.travel(failed.next_attempt_at, tick=False):
        assert webhook_deliver_task(failed.pk) == "succeeded"
    assert [a.status_code for a in failed.attempts.all()] == [500, 200]


def test_a_batch_takes_only_its_own_endpoint_so_a_failing_endpoint_holds_up_no_other(
    make_endpoint, receiver, other_receiver, order
):
    make_endpoint()
    make_endpoint(url=other_receiver.url)
    receiver.always(500)
    failing, healthy = sorted(_deliveries([order]), key=lambda d: d.endpoint.url != receiver.url)

    assert webhook_deliver_task(failing.pk) == "retrying"
    healthy.refresh_from_db()
    assert (healthy.status, healthy.attempt_count, other_receiver.requests) == ("pending", 0, [])

    assert webhook_deliver_task(healthy.pk) == "succeeded"
    assert len(other_receiver.requests) == 1


def test_a_batch_leaves_deliveries_whose_retry_is_not_due_yet(make_endpoint, receiver, make_order):
    make_endpoint()
    receiver.answer(500)
    (waiting,) = _deliveries([make_order()])
    webhook_deliver_task(waiting.pk)
    (fresh,) = _deliveries([make_order()])

    webhook_deliver_task(fresh.pk)

    waiting.refresh_from_db()
    assert (waiting.status, waiting.attempt_count) == ("retrying", 1)
    assert len(receiver.requests) == 2


def test_a_batch_takes_at_most_delivery_batch_deliveries(
    make_endpoint, receiver, make_order, monkeypatch
):
    monkeypatch.setattr(webhooks.services.attempts, "DELIVERY_BATCH", 2)
    make_endpoint()
    first, second, third = _deliveries([make_order() for _ in range(3)])

    webhook_deliver_task(first.pk)

    assert len(receiver.requests) == 2
    third.refresh_from_db()
    assert (third.status, third.attempt_count) == ("pending", 0)
    assert webhook_deliver_task(third.pk) == "succeeded"


def test_pending_deliveries_of_a_disabled_endpoint_are_not_sent_by_a_batch(
    make_endpoint, receiver, make_order
):
    from webhooks.services import webhook_endpoint_update

    endpoint, _ = make_endpoint()
    deliveries = _deliveries([make_order() for _ in range(2)])
    webhook_endpoint_update(endpoint=endpoint, enabled=False)

    outcomes = [webhook_deliver_task(d.pk) for d in deliveries]

    assert outcomes == ["failed", "failed"]
    assert receiver.requests == []


@pytest.mark.postgres
def test_two_batches_of_one_endpoint_at_once_send_each_delivery_once(
    transactional_db, make_endpoint, receiver, make_order, settings
):
    from django.db import connection

    settings.WEBHOOKS_CIRCUIT_FAILURES = 100  # six failures in a row do not open the circuit
    make_endpoint()
    receiver.always(500)  # the first attempts (run eagerly on commit) fail: retries due later
    orders = [make_order() for _ in range(6)]
    deliveries = list(
        WebhookDelivery.objects.filter(event__object_id__in=[o.public_id for o in orders])
    )
    assert {d.status for d in deliveries} == {"retrying"}
    receiver.always(200)
    barrier = threading.Barrier(2)

    def run(delivery):
        try:
            barrier.wait()
            endpoint_batch_attempt(delivery_pk=delivery.pk)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(d,)) for d in (deliveries[0], deliveries[-1])]
    with time_machine.travel(max(d.next_attempt_at for d in deliveries), tick=False):
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    assert len(receiver.requests) == 6 + 6
    for delivery in deliveries:
        delivery.refresh_from_db()
        assert delivery.status == "succeeded"
        assert [a.status_code for a in delivery.attempts.all()] == [500, 200]


def test_a_batch_keeps_at_most_the_concurrency_limit_of_requests_open_at_its_endpoint(
    make_endpoint, receiver, make_order, monkeypatch
):
    monkeypatch.setattr(webhooks.services.attempts, "DELIVERY_CONCURRENCY", 2)
    make_endpoint()
    receiver.always(200, delay=0.2)
    deliveries = _deliveries([make_order() for _ in range(5)])

    assert webhook_deliver_task(deliveries[0].pk) == "succeeded"

    assert len(receiver.requests) == 5
    assert receiver.most_in_flight == 2
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"succeeded"}
