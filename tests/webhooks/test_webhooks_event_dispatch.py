"""An event's deliveries commit with it; one message per commit wakes a worker (none for merchants
without endpoints), and the sweep sends the deliveries whose message was lost."""

from datetime import timedelta

import pytest
import time_machine
from celery.app.task import Task
from django.db import transaction
from django.utils import timezone

from merchant_portal.celery import app
from payments.models import Event
from payments.services import event_record
from payments.signals import events_committed
from webhooks.models import WebhookDelivery
from webhooks.services import LOST_TASK_GRACE, webhooks_sweep

pytestmark = pytest.mark.django_db

SEND = "webhooks.tasks.deliveries_send_task"


def _event_types(delivery_pks) -> list[str]:
    deliveries = WebhookDelivery.objects.in_bulk(delivery_pks)
    return [deliveries[pk].event.type for pk in delivery_pks]


@pytest.fixture
def sent(monkeypatch):
    """(task name, args) of every task published; eager tasks still run."""
    messages = []
    original = Task.apply_async

    def recording_apply_async(self, args=None, kwargs=None, **options):
        messages.append((self.name, args))
        return original(self, args, kwargs, **options)

    monkeypatch.setattr(Task, "apply_async", recording_apply_async)
    return messages


def test_a_merchant_without_webhook_endpoints_gets_no_celery_message_for_a_payment(
    order, pay, sent
):
    payment = pay(order)

    assert payment.status == "captured"
    assert sent == []


# Real commits: callbacks captured in a test transaction all run at its end, as one commit.
@pytest.mark.django_db(transaction=True)
def test_the_events_of_one_commit_go_out_in_one_message(make_endpoint, receiver, order, pay, sent):
    make_endpoint()

    pay(order)

    sends = [args[0] for name, args in sent if name == SEND]
    assert [_event_types(pks) for pks in sends] == [
        ["payment.created"],
        ["payment.authorized", "payment.captured", "order.paid"],
    ]
    assert len(receiver.requests) == 4


def test_an_endpoint_created_later_gets_the_events_recorded_after_its_creation(
    make_endpoint, receiver, make_order, pay
):
    pay(make_order())
    assert WebhookDelivery.objects.count() == 0

    endpoint, _ = make_endpoint(enabled_events=["order.paid"])
    order = make_order()
    pay(order)

    (delivery,) = WebhookDelivery.objects.all()
    assert (delivery.endpoint, delivery.event.type, delivery.event.object_id) == (
        endpoint,
        "order.paid",
        order.public_id,
    )


def test_no_message_when_no_endpoint_subscribes_to_the_events(make_endpoint, order, pay, sent):
    make_endpoint(enabled_events=["refund.succeeded"])
    make_endpoint(enabled=False)

    pay(order)

    assert sent == []


def test_events_of_a_rolled_back_savepoint_are_not_sent_and_later_ones_are(
    make_endpoint, receiver, order, sent, django_capture_on_commit_callbacks
):
    make_endpoint()

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        kept = event_record(obj=order, type="order.paid")
        try:
            with transaction.atomic():
                event_record(obj=order, type="order.paid")
                raise RuntimeError("rolled back")
        except RuntimeError:
            pass
        after = event_record(obj=order, type="order.paid")

    (send,) = [args[0] for name, args in sent if name == SEND]
    assert [WebhookDelivery.objects.get(pk=pk).event_id for pk in send] == [kept.pk, after.pk]
    assert set(WebhookDelivery.objects.values_list("event_id", flat=True)) == {kept.pk, after.pk}
    assert [kept.sequence, after.sequence] == [2, 3]


def test_a_message_queued_by_the_previous_version_still_creates_the_deliveries(
    make_endpoint, receiver, order
):
    from webhooks.tasks import event_dispatch_task

    make_endpoint()
    event = Event.objects.get(object_id=order.public_id, type="order.created")

    assert event_dispatch_task.delay(event.pk).get() == 1
    assert WebhookDelivery.objects.filter(event=event).count() == 1


@pytest.mark.django_db(transaction=True)
def test_an_order_created_while_the_broker_is_down_is_answered_and_its_webhook_sent_later(
    api, make_endpoint, receiver, broker_down
):
    make_endpoint(enabled_events=["order.created"])

    response = api.post(
        "/api/v1/orders", {"amount": 1000, "currency": "USD", "reference": "r-1"}, format="json"
    )

    assert response.status_code == 201, response.content
    (delivery,) = WebhookDelivery.objects.all()
    assert delivery.status == "pending"
    assert receiver.requests == []

    app.conf.task_always_eager = True  # the broker is back
    with time_machine.travel(timezone.now() + LOST_TASK_GRACE + timedelta(seconds=1)):
        assert webhooks_sweep() == 1

    delivery.refresh_from_db()
    assert delivery.status == "succeeded"
    assert [r.headers["webhook-id"] for r in receiver.requests] == [delivery.event.public_id]


@pytest.fixture
def announced():
    """The ``event_pks`` of every ``events_committed`` signal sent."""
    calls = []

    def receiver(sender, *, event_pks, **kwargs):
        calls.append(event_pks)

    events_committed.connect(receiver, dispatch_uid="test-announced")
    yield calls
    events_committed.disconnect(dispatch_uid="test-announced")


@pytest.mark.django_db(transaction=True)
def test_an_event_recorded_outside_a_transaction_is_announced_at_once(order, announced):
    event = event_record(obj=order, type="order.paid")

    assert announced == [[event.pk]]
    assert event.sequence == 2


@pytest.mark.django_db(transaction=True)
def test_events_of_a_rolled_back_transaction_are_never_announced(order, announced):
    @transaction.atomic
    def record_then_fail():
        event_record(obj=order, type="order.paid")
        raise RuntimeError("rolled back")

    with pytest.raises(RuntimeError):
        record_then_fail()
    with transaction.atomic():
        kept = event_record(obj=order, type="order.canceled")

    assert announced == [[kept.pk]]


@pytest.mark.django_db(transaction=True)
def test_the_deliveries_of_a_rolled_back_transaction_roll_back_with_its_events(
    make_endpoint, order, sent
):
    make_endpoint()
    before = WebhookDelivery.objects.count()

    written = []

    @transaction.atomic
    def record_then_fail():
        event_record(obj=order, type="order.paid")
        written.append(WebhookDelivery.objects.count() - before)
        raise RuntimeError("rolled back")

    with pytest.raises(RuntimeError):
        record_then_fail()

    assert written == [1]  # written with the event

    assert WebhookDelivery.objects.count() == before
    assert [name for name, _ in sent if name == SEND] == []


@pytest.fixture
def wakeups_lost(monkeypatch):
    """The broker takes the wake-up messages of committed deliveries and loses them (a worker
    killed with them unacknowledged, then the broker flushed)."""
    from webhooks.tasks import deliveries_send_task

    lost = []
    monkeypatch.setattr(deliveries_send_task, "apply_async", lambda args, **kw: lost.append(args))
    return lost


@pytest.mark.django_db(transaction=True)
def test_a_payment_whose_wakeup_messages_are_lost_still_has_every_webhook_sent_by_the_sweep(
    make_endpoint, receiver, order, pay, wakeups_lost
):
    make_endpoint()

    pay(order)

    assert len(wakeups_lost) == 2 and receiver.requests == []
    deliveries = WebhookDelivery.objects.filter(event__merchant=order.merchant)
    paid = Event.objects.filter(merchant=order.merchant).exclude(type="order.created")
    events = set(paid.values_list("pk", flat=True))  # recorded after the endpoint's creation
    assert set(deliveries.values_list("event_id", flat=True)) == events  # none missing
    assert webhooks_sweep() == 0  # not overdue yet: their messages may still come
    with time_machine.travel(timezone.now() + LOST_TASK_GRACE + timedelta(seconds=1)):
        assert webhooks_sweep() >= 1

    assert set(deliveries.values_list("status", flat=True)) == {"succeeded"}
    received = sorted(r.headers["webhook-id"] for r in receiver.requests)
    assert received == sorted(
        Event.objects.filter(pk__in=events).values_list("public_id", flat=True)
    )


@pytest.mark.django_db(transaction=True)
def test_an_event_committed_while_the_broker_is_down_is_sent_by_the_sweep(
    make_endpoint, receiver, order, broker_down
):
    make_endpoint(enabled_events=["order.paid"])

    with transaction.atomic():
        event = event_record(obj=order, type="order.paid")

    (delivery,) = WebhookDelivery.objects.filter(event=event)
    app.conf.task_always_eager = True  # the broker is back
    with time_machine.travel(timezone.now() + LOST_TASK_GRACE + timedelta(seconds=1)):
        webhooks_sweep()

    delivery.refresh_from_db()
    assert delivery.status == "succeeded"
    assert [r.headers["webhook-id"] for r in receiver.requests] == [event.public_id]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_never_send_one_delivery_twice(
    make_endpoint, receiver, make_order, wakeups_lost
):
    import threading

    from django.db import connection

    make_endpoint(enabled_events=["order.created"])
    orders = [make_order() for _ in range(20)]
    assert receiver.requests == []
    barrier = threading.Barrier(2)
    found = []

    def sweep():
        try:
            barrier.wait()
            found.append(webhooks_sweep())
        finally:
            connection.close()

    with time_machine.travel(timezone.now() + LOST_TASK_GRACE + timedelta(seconds=1)):
        threads = [threading.Thread(target=sweep) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    ids = [r.headers["webhook-id"] for r in receiver.requests]
    assert sorted(ids) == sorted(
        Event.objects.filter(
            type="order.created", object_id__in=[o.public_id for o in orders]
        ).values_list("public_id", flat=True)
    )  # each once
    assert sum(found) == 20
    deliveries = WebhookDelivery.objects.filter(event__object_id__in=[o.public_id for o in orders])
    assert set(deliveries.values_list("status", flat=True)) == {"succeeded"}
    assert all(d.attempts.count() == 1 for d in deliveries)
