"""A real Celery worker killed mid-batch: the sweep finishes the batch, no item charged twice."""

from __future__ import annotations

import os
import signal
import subprocess
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from payments.models import Payment, PaymentAttempt
from payments.services import attempts_reconcile
from payouts.models import ChargeBatch, ChargeItem
from payouts.services import charge_batch_create, charge_batch_start, charge_items_sweep
from tests.conftest import wait_for


def _kill_with_children(proc: subprocess.Popen) -> None:
    """SIGKILL the worker this test started and its pool processes (by their ids)."""
    children = subprocess.run(
        ["pgrep", "-P", str(proc.pid)], capture_output=True, text=True, check=False
    ).stdout.split()
    os.kill(proc.pid, signal.SIGKILL)
    for pid in children:
        try:
            os.kill(int(pid), signal.SIGKILL)
        except ProcessLookupError:
            pass
    proc.wait(timeout=10)


@pytest.mark.postgres
@pytest.mark.redis
def test_a_worker_killed_mid_batch_leaves_work_the_sweep_finishes_charging_each_item_once(
    celery_worker_process, merchant, cards, assert_invariants
):
    rows = [
        {
            "reference": f"r-{n}",
            "customer": cards["customer"],
            "payment_method": cards["good"],
            "amount": 900,
            "currency": "USD",
        }
        for n in range(30)
    ]
    batch, _ = charge_batch_create(merchant=merchant, livemode=False, reference="kill", items=rows)
    charge_batch_start(batch=batch)  # the real worker takes the wake-up
    wait_for(
        lambda: ChargeItem.objects.filter(batch=batch, status="succeeded").count() >= 5,
        timeout=60,
    )

    _kill_with_children(celery_worker_process)

    left = ChargeItem.objects.exclude(status="succeeded").count()
    assert left > 0, "the worker finished before it was killed: nothing to resume"
    later = timezone.now() + timedelta(minutes=6)  # the dead worker's claim is stale by then

    def swept() -> bool:
        # As beat runs them: a payment the worker died waiting for is settled by asking the
        # institution (attempts_reconcile), then its item gets that outcome; an item whose row
        # the dead worker's connection still locks waits until PostgreSQL has rolled it back.
        attempts_reconcile(now=later)
        charge_items_sweep(now=later)
        unfinished = ChargeItem.objects.filter(batch=batch, status__in=["pending", "processing"])
        return not unfinished.exists()

    with time_machine.travel(later, tick=False):
        # One sweep of the ~25 items left takes a while on a loaded machine: allow a few.
        wait_for(swept, timeout=240, interval=0.5)

    items = ChargeItem.objects.filter(batch=batch).select_related("order")
    for item in items:
        assert Payment.objects.filter(order=item.order).count() == 1
        assert PaymentAttempt.objects.filter(payment__order=item.order).count() == 1
        # Killed before the institution heard of it, an item fails with nothing charged.
        failed = (item.status, item.decline_code) == ("failed", "processing_error")
        assert item.status == "succeeded" or failed, (item.status, item.decline_code)
        assert item.order.status == ("pending" if failed else "paid")
    assert ChargeBatch.objects.get(pk=batch.pk).status == "completed"
    assert_invariants()
