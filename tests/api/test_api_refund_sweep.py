"""A refund whose task never reached a worker (broker outage, lost message) is still paid back."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from prometheus_client import REGISTRY

from merchant_portal.celery import app
from payments.models import Refund
from payments.services import refund_create, refunds_sweep
from payments.services.refunds import REFUND_SWEEP_GRACE

pytestmark = pytest.mark.django_db(transaction=True)


def _later():
    return time_machine.travel(timezone.now() + REFUND_SWEEP_GRACE + timedelta(seconds=1))


def _swept() -> float:
    return REGISTRY.get_sample_value("sweep_found_total", {"sweep": "refunds"}) or 0


def test_a_refund_asked_for_while_the_broker_is_down_is_answered_and_paid_back_later(
    api, captured_payment, broker_down, assert_invariants, caplog
):
    response = api.post(
        f"/api/v1/payments/{captured_payment.public_id}/refunds", {"amount": 400}, format="json"
    )

    assert response.status_code == 201, response.content
    refund = Refund.objects.get()
    assert refund.status == "pending"

    app.conf.task_always_eager = True  # the broker is back
    swept = _swept()
    with _later(), caplog.at_level("WARNING", logger="payments.services.refunds"):
        assert refunds_sweep() == 1
    assert "refund sweep re-sent 1 pending refunds" in caplog.messages
    assert _swept() == swept + 1

    refund.refresh_from_db()
    captured_payment.refresh_from_db()
    assert refund.status == "succeeded"
    assert captured_payment.amount_refunded == 400
    assert captured_payment.status == "partially_refunded"
    with _later():
        assert refunds_sweep() == 0  # a refund paid back is never sent again
    assert _swept() == swept + 1
    assert_invariants()


def test_the_sweep_leaves_a_refund_alone_until_its_own_task_has_had_time(
    captured_payment, broker_down
):
    refund_create(merchant=None, payment_id=captured_payment.public_id, amount=100)

    assert refunds_sweep() == 0
    assert Refund.objects.get().status == "pending"


def test_the_sweep_runs_on_the_beat_schedule(settings):
    schedule = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}

    assert "payments.tasks.refunds_sweep_task" in schedule
    assert "payments.tasks.refunds_sweep_task" in app.tasks
