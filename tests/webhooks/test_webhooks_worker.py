"""A real Celery worker on Redis delivers webhooks with nobody calling the task."""

from __future__ import annotations

import pytest
from standardwebhooks import Webhook

from payments.models import Event
from payments.services import payment_create
from tests.conftest import card, wait_for
from webhooks.models import WebhookDelivery


@pytest.mark.postgres
@pytest.mark.redis
def test_a_paid_order_reaches_the_receiver_through_a_real_worker(
    celery_worker_process, make_endpoint, receiver, make_order
):
    endpoint, secret = make_endpoint(enabled_events=["order.paid"])
    order = make_order()

    payment_create(order=order, method=card())

    (request,) = wait_for(lambda: receiver.requests, timeout=30)
    payload = Webhook(secret).verify(request.body, request.headers)
    event = Event.objects.get(object_id=order.public_id, type="order.paid")
    assert payload["id"] == request.headers["webhook-id"] == event.public_id
    delivery = wait_for(
        lambda: WebhookDelivery.objects.filter(endpoint=endpoint, status="succeeded").first()
    )
    assert delivery.event == event
    assert delivery.attempts.get().status_code == 200


@pytest.mark.postgres
def test_two_tasks_for_one_delivery_at_once_make_one_attempt(
    transactional_db, make_endpoint, receiver, make_order
):
    import threading

    import time_machine
    from django.db import connection

    from webhooks.services import delivery_attempt

    make_endpoint()
    receiver.answer(500)  # the first attempt (run eagerly on commit) fails: a retry is due later
    order = make_order()
    delivery = WebhookDelivery.objects.get(event__object_id=order.public_id)
    assert delivery.status == "retrying"
    barrier = threading.Barrier(2)
    outcomes = []

    def run():
        try:
            barrier.wait()
            outcomes.append(delivery_attempt(delivery_pk=delivery.pk).outcome)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    with time_machine.travel(delivery.next_attempt_at, tick=False):
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    assert sorted(outcomes) == ["skipped", "succeeded"]
    assert len(receiver.requests) == 2
    assert [a.status_code for a in delivery.attempts.all()] == [500, 200]
