"""A slow, failing or throttling receiver delays only its own endpoint, and a Retry-After does
not end the retry schedule early."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from payments.models import Event
from tests.conftest import event_deliveries, wait_for
from webhooks.models import WebhookDelivery
from webhooks.services import RETRY_SCHEDULE, delivery_attempt, webhook_endpoint_create
from webhooks.services.attempts import RETRY_JITTER, RETRY_WINDOW
from webhooks.tasks import webhook_deliver_task

pytestmark = pytest.mark.django_db


def _delivery(order) -> WebhookDelivery:
    event = Event.objects.get(object_id=order.public_id, type="order.created")
    (delivery,) = event_deliveries(event.pk)
    return delivery


def _retry_until_done(delivery: WebhookDelivery) -> list:
    """Attempt the delivery at each of its retries until it succeeds or fails; return the
    instants of the attempts."""
    instants = []
    while delivery.status in ("pending", "retrying"):
        with time_machine.travel(delivery.next_attempt_at or timezone.now(), tick=False):
            delivery_attempt(delivery_pk=delivery.pk)
            instants.append(timezone.now())
        delivery.refresh_from_db()
        assert len(instants) < 500
    return instants


@pytest.mark.parametrize("retry_after", ["30", "1800", "36000"])
def test_a_429_with_retry_after_is_retried_for_the_whole_schedule_never_faster(
    make_endpoint, receiver, make_order, retry_after
):
    make_endpoint()
    receiver.always(429, headers={"Retry-After": retry_after})
    delivery = _delivery(make_order())

    instants = _retry_until_done(delivery)

    assert delivery.status == "failed"
    # Neither 8 attempts in minutes nor one every 30 s for a day: at most the schedule's attempts.
    assert 2 <= len(instants) <= len(RETRY_SCHEDULE) + 1
    gaps = [(b - a).total_seconds() for a, b in zip(instants, instants[1:], strict=False)]
    for gap, scheduled in zip(gaps, RETRY_SCHEDULE, strict=False):
        # Each wait is the scheduled one, or the receiver's longer one: never shorter.
        assert gap >= max(scheduled * (1 - RETRY_JITTER), min(int(retry_after), 36000)) - 1
    lasted = instants[-1] - instants[0]
    assert lasted >= timedelta(seconds=sum(RETRY_SCHEDULE) * 0.9)
    # No retry is scheduled after a failure past the window: the last attempt comes at most one
    # longest wait after it.
    assert lasted <= RETRY_WINDOW + timedelta(seconds=max(RETRY_SCHEDULE))
    assert [a.retry_in for a in delivery.attempts.order_by("number")][-1] is None


def test_a_500_still_ends_after_the_schedule(make_endpoint, receiver, make_order):
    make_endpoint()
    receiver.always(500)
    delivery = _delivery(make_order())

    instants = _retry_until_done(delivery)

    assert len(instants) == len(RETRY_SCHEDULE) + 1
    assert instants[-1] - instants[0] >= timedelta(seconds=sum(RETRY_SCHEDULE) * 0.9)


def test_an_endpoint_failing_in_a_row_is_held_for_the_cool_off_then_tried_again(
    make_endpoint, receiver, make_order, settings
):
    endpoint, _ = make_endpoint()
    receiver.always(500)
    failing = [_delivery(make_order()) for _ in range(settings.WEBHOOKS_CIRCUIT_FAILURES)]
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for delivery in failing:
            delivery_attempt(delivery_pk=delivery.pk)
    sent = len(receiver.requests)
    endpoint.refresh_from_db()
    assert endpoint.circuit_open_until == start + settings.WEBHOOKS_CIRCUIT_COOLOFF

    receiver.always(200)
    held = _delivery(make_order())
    with time_machine.travel(start + timedelta(seconds=10), tick=False):
        assert webhook_deliver_task(held.pk) == "skipped"
    assert len(receiver.requests) == sent  # no request while the circuit is open

    with time_machine.travel(endpoint.circuit_open_until + timedelta(seconds=1), tick=False):
        assert webhook_deliver_task(held.pk) == "succeeded"
    endpoint.refresh_from_db()
    assert (endpoint.consecutive_failures, endpoint.circuit_open_until) == (0, None)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_hanging_endpoint_holds_one_batch_and_delays_no_other_endpoint(
    make_endpoint, receiver, other_receiver, make_order, other_merchant, settings, monkeypatch
):
    from django.db import connection

    from webhooks.tasks import deliveries_send_task

    # Each task below is run by hand, as a worker would; the commit's wake-up sends none.
    monkeypatch.setattr(deliveries_send_task, "apply_async", lambda *args, **kwargs: None)
    settings.WEBHOOKS_TIMEOUT = 3.0
    hanging, _ = make_endpoint(enabled_events=["order.paid"])
    receiver.always(200, delay=2.5)
    webhook_endpoint_create(
        merchant=other_merchant,
        livemode=False,
        url=other_receiver.url,
        enabled_events=["order.paid"],
    )
    first = _paid_delivery(make_order(), hanging)
    batch = threading.Thread(target=_in_thread(connection, first.pk))
    batch.start()
    wait_for(lambda: receiver.in_flight, timeout=5)

    second = _paid_delivery(make_order(), hanging)  # arrives while the batch hangs
    started = time.monotonic()
    assert webhook_deliver_task(second.pk) == "skipped"  # the endpoint's batch is running
    other = _paid_delivery(make_order(merchant=other_merchant))
    assert webhook_deliver_task(other.pk) == "succeeded"
    assert time.monotonic() - started < 1.5  # not behind the hanging receiver
    batch.join()

    assert receiver.most_in_flight == 1  # one batch at a time for the hanging endpoint
    second.refresh_from_db()
    assert second.status == "succeeded"  # handed on by the batch once it was over


def _paid_delivery(order, endpoint=None) -> WebhookDelivery:
    from payments.services import event_record

    event = event_record(obj=order, type="order.paid")
    deliveries = WebhookDelivery.objects.filter(event=event)
    return deliveries.get(endpoint=endpoint) if endpoint else deliveries.get()


def _in_thread(connection, delivery_pk):
    def run():
        try:
            webhook_deliver_task(delivery_pk)
        finally:
            connection.close()

    return run
