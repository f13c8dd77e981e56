"""Two billing sweeps at once on PostgreSQL: each period is charged exactly once."""

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from billing.models import ChargeAttempt, Invoice, Subscription, TestClock
from billing.services import customer_create, payment_method_attach, price_create
from billing.services.engine import billing_sweep, test_clock_advance_run
from billing.services.subscriptions import subscription_create
from payments.models import Order, Payment

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _subscriptions(merchant, count, clock=None):
    price = price_create(
        merchant=merchant, product_name="Pro", amount=1000, currency="USD", interval="month"
    )
    subscriptions = []
    for n in range(count):
        customer = customer_create(
            merchant=merchant, email=f"c{n}@example.com", test_clock=clock and clock.public_id
        )
        method, _ = payment_method_attach(
            customer=customer,
            number="4242424242424242",
            exp_month=12,
            exp_year=2035,
            cvc="123",
            holder_name="Ada",
            consent_text="Renewals may be charged without me.",
            consent_ip="203.0.113.7",
            consent_usage="off_session",
        )
        subscriptions.append(
            subscription_create(
                merchant=merchant,
                livemode=False,
                customer=customer.public_id,
                price=price.public_id,
                payment_method=method.public_id,
            )
        )
    return subscriptions


def _race(target, workers=2):
    barrier = threading.Barrier(workers)
    results, errors = [], []

    def run():
        try:
            barrier.wait()
            results.append(target())
        except Exception as err:  # noqa: BLE001 - reported by the assertion below
            errors.append(err)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    return results


def test_two_sweeps_at_once_charge_each_renewal_once(merchant, assert_invariants):
    subscriptions = _subscriptions(merchant, 12)
    assert {s.status for s in subscriptions} == {"active"}

    with time_machine.travel(timezone.now() + timedelta(days=32), tick=True):
        results = _race(billing_sweep)

    assert sum(r["steps"] for r in results) >= 12  # every due renewal was taken, by one of them
    for subscription in Subscription.objects.filter(merchant=merchant):
        invoices = Invoice.objects.filter(subscription=subscription)
        assert [i.status for i in invoices] == ["paid", "paid"]
        assert all(i.attempt_count == 1 for i in invoices)
    attempts = ChargeAttempt.objects.filter(merchant=merchant)
    assert attempts.count() == 24
    assert set(attempts.values_list("status", flat=True)) == {"succeeded"}
    orders = Order.objects.filter(merchant=merchant)
    assert orders.count() == 24
    captured = Payment.objects.filter(merchant=merchant, status="captured")
    assert captured.count() == 24  # two periods × twelve subscriptions, none twice
    assert_invariants()


def test_a_charge_whose_worker_died_is_finished_once_by_two_sweeps(merchant, assert_invariants):
    (subscription,) = _subscriptions(merchant, 1)
    with time_machine.travel(timezone.now() + timedelta(days=32), tick=True):
        # A worker opened the renewal's attempt and died before charging it.
        import billing.services.engine as engine

        real, real_batch = engine.charge_attempt_run, engine.attempts_charge
        # Either path: one by one, or the batch's charging.
        engine.charge_attempt_run = engine.attempts_charge = lambda **kwargs: None
        try:
            billing_sweep()
        finally:
            engine.charge_attempt_run, engine.attempts_charge = real, real_batch
        pending = ChargeAttempt.objects.get(subscription=subscription, status="pending")

    with time_machine.travel(timezone.now() + timedelta(days=32, minutes=10), tick=True):
        _race(billing_sweep)

    pending.refresh_from_db()
    assert pending.status == "succeeded"
    assert Order.objects.filter(merchant=merchant, reference=pending.idempotency_key).count() == 1
    assert Payment.objects.filter(merchant=merchant, status="captured").count() == 2
    assert_invariants()


def test_two_workers_advancing_one_clock_by_batches_charge_each_period_once(
    merchant, settings, assert_invariants
):
    settings.BILLING_RENEWAL_BATCH = 5  # several batches per moment, claimed by both workers
    start = datetime(2026, 1, 31, 10, 0, tzinfo=UTC)
    clock = TestClock.objects.create(merchant=merchant, frozen_time=start)
    _subscriptions(merchant, 12, clock=clock)
    TestClock.objects.filter(pk=clock.pk).update(
        status=TestClock.Status.ADVANCING, advance_to=datetime(2026, 4, 30, 12, 0, tzinfo=UTC)
    )

    _race(lambda: test_clock_advance_run(clock_pk=clock.pk))

    invoices = Invoice.objects.filter(merchant=merchant)
    periods = Counter(invoices.values_list("subscription_id", "period_start"))
    assert len(periods) == 12 * 4 and set(periods.values()) == {1}  # the first and 3 renewals
    assert set(invoices.values_list("status", "attempt_count")) == {("paid", 1)}
    attempts = ChargeAttempt.objects.filter(merchant=merchant)
    assert attempts.count() == 48 and set(attempts.values_list("status", flat=True)) == {
        "succeeded"
    }
    assert Order.objects.filter(merchant=merchant).count() == 48
    assert Payment.objects.filter(merchant=merchant, status="captured").count() == 48
    assert_invariants()
