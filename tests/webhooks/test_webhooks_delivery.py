"""Delivery to a real receiver: signatures, retries, give-up, timeouts, redirects, disabling."""

from __future__ import annotations

import gzip
import json
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from standardwebhooks import Webhook

from payments.models import Event
from payments.representations import event_data
from tests.conftest import event_deliveries
from webhooks.models import WebhookDelivery
from webhooks.services import (
    RETRY_JITTER,
    RETRY_SCHEDULE,
    deliveries_create_for_event,
    delivery_attempt,
    webhook_endpoint_update,
)
from webhooks.tasks import webhook_deliver_task


def _event(order, type_="order.created") -> Event:
    return Event.objects.get(object_id=order.public_id, type=type_)


def _deliver_first(order, type_="order.created") -> WebhookDelivery:
    """Create the event's deliveries and make the first attempt of the only one."""
    (delivery,) = event_deliveries(_event(order, type_).pk)
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
        json.loads(r.body)
        for r in receiver.requests
        if json.loads(r.body)["data"]["object"]["id"] == payment.public_id
    ]
    sequences = sorted(e["sequence"] for e in payment_events)
    assert len(sequences) >= 2
    assert sequences == list(range(sequences[0], sequences[0] + len(sequences)))


def test_only_enabled_subscribed_endpoints_of_the_merchant_and_mode_get_a_delivery(
    make_endpoint, order, other_merchant, receiver
):
    wanted, _ = make_endpoint(enabled_events=["order.created"])
    make_endpoint(enabled_events=["order.paid"])
    make_endpoint(enabled_events=["*"], enabled=False)
    make_endpoint(enabled_events=["*"], livemode=True)
    make_endpoint(enabled_events=["*"], merchant=other_merchant)

    created = deliveries_create_for_event(event_pk=_event(order).pk)

    assert [d.endpoint for d in created] == [wanted]


def test_creating_deliveries_twice_for_an_event_creates_nothing_more(make_endpoint, order):
    make_endpoint()
    event = _event(order)

    first = deliveries_create_for_event(event_pk=event.pk)
    second = deliveries_create_for_event(event_pk=event.pk)

    assert len(first) == 1
    assert second == []
    assert WebhookDelivery.objects.filter(event=event).count() == 1


def test_a_task_run_again_for_a_succeeded_delivery_sends_nothing(make_endpoint, receiver, order):
    make_endpoint()
    delivery = _deliver_first(order)

    outcome = webhook_deliver_task(delivery.pk)

    assert delivery.status == "succeeded"
    assert outcome == "skipped"
    assert len(receiver.requests) == 1
    assert delivery.attempts.count() == 1


def test_failing_endpoint_is_retried_on_the_schedule_then_the_delivery_fails(
    make_endpoint, receiver, order
):
    make_endpoint()
    receiver.always(500, body=b"boom")
    (delivery,) = event_deliveries(_event(order).pk)
    chosen = []

    with time_machine.travel(timezone.now(), tick=False) as clock:
        for _ in range(len(RETRY_SCHEDULE) + 1):
            result = delivery_attempt(delivery_pk=delivery.pk)
            chosen.append(result.retry_in)
            delivery.refresh_from_db()
            if result.retry_in is not None:
                # Not due yet: a task arriving early does nothing.
                assert delivery_attempt(delivery_pk=delivery.pk).outcome == "skipped"
                clock.move_to(delivery.next_attempt_at)

    assert delivery.status == "failed"
    assert chosen[-1] is None
    for wait, base in zip(chosen[:-1], RETRY_SCHEDULE, strict=True):
        assert base * (1 - RETRY_JITTER) - 1 <= wait <= base * (1 + RETRY_JITTER) + 1
    attempts = list(delivery.attempts.all())
    assert len(attempts) == len(RETRY_SCHEDULE) + 1 == len(receiver.requests)
    assert {(a.status_code, a.response_body, a.error) for a in attempts} == {
        (500, "boom", "HTTP 500")
    }
    assert [a.retry_in for a in attempts] == chosen
    # The same event id on every attempt, each freshly timestamped.
    assert len({r.headers["webhook-id"] for r in receiver.requests}) == 1
    assert len({r.headers["webhook-timestamp"] for r in receiver.requests}) == len(attempts)


def test_a_retry_succeeds_after_a_failure(make_endpoint, receiver, order):
    endpoint, secret = make_endpoint()
    receiver.answer(503)
    delivery = _deliver_first(order)
    assert delivery.status == "retrying"

    with time_machine.travel(delivery.next_attempt_at, tick=False):
        webhook_deliver_task(delivery.pk)

    delivery.refresh_from_db()
    assert delivery.status == "succeeded"
    assert [a.status_code for a in delivery.attempts.all()] == [503, 200]
    Webhook(secret).verify(receiver.requests[-1].body, receiver.requests[-1].headers)
    endpoint.refresh_from_db()
    assert endpoint.failing_since is None


def test_a_receiver_slower_than_the_timeout_is_a_failed_attempt(
    make_endpoint, receiver, order, settings
):
    settings.WEBHOOKS_TIMEOUT = 0.5
    make_endpoint()
    receiver.answer(200, delay=2.0)

    delivery = _deliver_first(order)

    (attempt,) = delivery.attempts.all()
    assert delivery.status == "retrying"
    assert attempt.status_code is None
    assert attempt.error.startswith("Timed out")
    assert attempt.succeeded is False


def test_a_receiver_answering_a_byte_at_a_time_is_cut_off_at_the_timeout(
    make_endpoint, receiver, order, settings
):
    """Each byte comes well within the timeout, but the whole answer would take seconds."""
    settings.WEBHOOKS_TIMEOUT = 0.5
    make_endpoint()
    receiver.answer(200, body=b"ok" * 10, drip=0.1)

    delivery = _deliver_first(order)

    (attempt,) = delivery.attempts.all()
    assert delivery.status == "retrying"
    assert attempt.status_code is None
    assert attempt.error.startswith("Timed out")
    assert attempt.succeeded is False


def test_redirects_are_not_followed(make_endpoint, receiver, order):
    make_endpoint()
    receiver.answer(302, headers={"Location": receiver.url + "/elsewhere"})

    delivery = _deliver_first(order)

    assert len(receiver.requests) == 1
    assert delivery.status == "retrying"
    assert delivery.attempts.get().status_code == 302


def test_response_body_is_kept_up_to_1_kb(make_endpoint, receiver, order):
    make_endpoint()
    receiver.answer(200, body=b"x" * 5000)

    delivery = _deliver_first(order)

    assert delivery.attempts.get().response_body == "x" * 1024


def test_a_compressed_answer_is_logged_as_sent_never_expanded(make_endpoint, receiver, order):
    """Expanding answers would let a receiver make each attempt allocate ~1000x what it sent."""
    make_endpoint()
    compressed = gzip.compress(b"x" * 1_000_000)
    receiver.answer(500, headers={"content-encoding": "gzip"}, body=compressed)

    delivery = _deliver_first(order)

    assert receiver.requests[0].headers["accept-encoding"] == "identity"
    logged = delivery.attempts.get().response_body
    assert "xxxx" not in logged
    assert 0 < len(logged) <= 1024


@pytest.mark.parametrize("database", ["any", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_a_response_body_with_nul_bytes_is_logged_without_them(
    make_endpoint, receiver, order, database
):
    """PostgreSQL cannot store NUL in text: kept as is, the attempt could never be recorded."""
    make_endpoint()
    receiver.answer(500, body=b"bad\x00body")

    delivery = _deliver_first(order)

    assert delivery.status == "retrying"
    assert delivery.attempts.get().response_body == "bad\ufffdbody"


def test_410_gone_disables_the_endpoint_at_once(make_endpoint, receiver, order):
    endpoint, _ = make_endpoint()
    receiver.answer(410)

    delivery = _deliver_first(order)

    endpoint.refresh_from_db()
    assert delivery.status == "failed"
    assert endpoint.enabled is False
    assert "410 Gone" in endpoint.disabled_reason
    assert deliveries_create_for_event(event_pk=_event(order).pk) == []


@pytest.mark.parametrize(
    ("status", "retry_after", "expected"),
    [
        (429, "120", 120),
        (502, "999999", max(RETRY_SCHEDULE)),  # clamped to the longest wait
        (504, "Wed, 21 Oct 2026 07:30:00 GMT", 1800),
    ],
)
def test_a_retry_after_longer_than_the_scheduled_wait_replaces_it(
    make_endpoint, receiver, order, status, retry_after, expected
):
    make_endpoint()
    receiver.answer(status, headers={"Retry-After": retry_after})

    with time_machine.travel("2026-10-21 07:00:00+00:00", tick=False):
        delivery = _deliver_first(order)

    attempt = delivery.attempts.get()
    assert attempt.retry_in == expected
    assert delivery.next_attempt_at == attempt.started_at + timedelta(seconds=expected)
    assert delivery.schedule_step == 1


@pytest.mark.parametrize("retry_after", ["0", "1", "Wed, 21 Oct 2026 06:00:00 GMT"])
def test_a_retry_after_shorter_than_the_scheduled_wait_never_brings_the_retry_earlier(
    make_endpoint, receiver, make_order, retry_after
):
    make_endpoint()
    receiver.always(503, headers={"Retry-After": retry_after})

    with time_machine.travel("2026-10-21 07:00:00+00:00", tick=False):
        delivery = _deliver_first(make_order())
    with time_machine.travel(delivery.next_attempt_at, tick=False):
        delivery_attempt(delivery_pk=delivery.pk)
    delivery.refresh_from_db()

    first, second = delivery.attempts.order_by("number")
    for attempt, scheduled in zip((first, second), RETRY_SCHEDULE, strict=False):
        assert scheduled * (1 - RETRY_JITTER) - 1 <= attempt.retry_in
        assert attempt.retry_in <= scheduled * (1 + RETRY_JITTER) + 1
    assert delivery.schedule_step == 2  # each retry used its step


def test_retry_after_of_a_500_is_ignored(make_endpoint, receiver, order):
    make_endpoint()
    receiver.answer(500, headers={"Retry-After": "3600"})

    delivery = _deliver_first(order)

    assert delivery.attempts.get().retry_in <= RETRY_SCHEDULE[0] * (1 + RETRY_JITTER) + 1


def test_endpoint_failing_every_delivery_for_5_days_is_disabled(
    make_endpoint, receiver, make_order
):
    endpoint, _ = make_endpoint()
    receiver.always(500)
    start = timezone.now()

    with time_machine.travel(start, tick=False):
        _deliver_first(make_order())
    with time_machine.travel(start + timedelta(days=4, hours=23), tick=False):
        _deliver_first(make_order())
        endpoint.refresh_from_db()
        assert endpoint.enabled is True
    with time_machine.travel(start + timedelta(days=5, minutes=1), tick=False):
        delivery = _deliver_first(make_order())

    endpoint.refresh_from_db()
    assert endpoint.enabled is False
    assert "Every delivery failed since" in endpoint.disabled_reason
    assert delivery.status == "failed"


def test_a_success_in_between_resets_the_5_day_count(make_endpoint, receiver, make_order):
    endpoint, _ = make_endpoint()
    start = timezone.now()
    receiver.answer(500)
    with time_machine.travel(start, tick=False):
        _deliver_first(make_order())
    with time_machine.travel(start + timedelta(days=3), tick=False):
        _deliver_first(make_order())  # 200
    receiver.always(500)

    with time_machine.travel(start + timedelta(days=5, minutes=1), tick=False):
        _deliver_first(make_order())

    endpoint.refresh_from_db()
    assert endpoint.enabled is True
    assert endpoint.failing_since == start + timedelta(days=5, minutes=1)


def test_a_new_url_starts_the_5_day_count_afresh(
    make_endpoint, receiver, other_receiver, make_order
):
    """Days of failures at the old address say nothing about the new one."""
    endpoint, _ = make_endpoint()
    receiver.always(500)
    other_receiver.always(503)  # the new receiver, still starting up
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        _deliver_first(make_order())
    with time_machine.travel(start + timedelta(days=4, hours=23), tick=False):
        webhook_endpoint_update(endpoint=endpoint, url=other_receiver.url)

    with time_machine.travel(start + timedelta(days=5, minutes=1), tick=False):
        delivery = _deliver_first(make_order())

    endpoint.refresh_from_db()
    assert endpoint.enabled is True
    assert delivery.status == "retrying"
    assert endpoint.failing_since == start + timedelta(days=5, minutes=1)


def test_pending_deliveries_of_a_disabled_endpoint_fail_without_a_request(
    make_endpoint, receiver, order
):
    from webhooks.services import webhook_endpoint_update

    endpoint, _ = make_endpoint()
    (delivery,) = event_deliveries(_event(order).pk)
    webhook_endpoint_update(endpoint=endpoint, enabled=False)

    webhook_deliver_task(delivery.pk)

    delivery.refresh_from_db()
    assert delivery.status == "failed"
    assert "disabled" in delivery.last_error
    assert receiver.requests == []


def test_sweep_resends_a_delivery_whose_task_was_lost(
    make_endpoint, receiver, order, django_capture_on_commit_callbacks
):
    from webhooks.services import LOST_TASK_GRACE, webhooks_sweep

    make_endpoint()
    (delivery,) = event_deliveries(_event(order).pk)  # its task never runs

    assert webhooks_sweep() == 0
    with (
        time_machine.travel(timezone.now() + LOST_TASK_GRACE + timedelta(seconds=1)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert webhooks_sweep() == 1

    delivery.refresh_from_db()
    assert delivery.status == "succeeded"
    assert len(receiver.requests) == 1
