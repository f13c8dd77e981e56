"""Races on PostgreSQL: workers sweeping one charge batch at once, approvals competing for one
balance, one batch reference sent twice at once."""

import threading

import pytest
from django.db import connection

from payouts.errors import InsufficientBalance
from payouts.models import ChargeItem, PayoutBatch, PayoutItem
from payouts.services import (
    charge_batch_create,
    charge_batch_run,
    charge_batch_start,
    payout_batch_approve,
    payout_batch_create,
)
from tests.payouts.conftest import payout_rows

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _at_once(count, work):
    """Run ``work(i)`` in ``count`` threads released together; return results and failures."""
    barrier = threading.Barrier(count)
    results, failures = [None] * count, []

    def run(i):
        try:
            barrier.wait()
            results[i] = work(i)
        except Exception as exc:  # noqa: BLE001 - reported by the caller
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, failures


def test_four_workers_on_one_batch_charge_each_item_once(
    merchant, cards, sent, broker_down, assert_invariants
):
    rows = [
        {
            "reference": f"r-{n}",
            "customer": cards["customer"],
            "payment_method": cards["good"],
            "amount": 700,
            "currency": "USD",
        }
        for n in range(12)
    ]
    batch, _ = charge_batch_create(merchant=merchant, livemode=False, reference="race", items=rows)
    charge_batch_start(batch=batch)  # its wake-up goes nowhere: the workers below take it
    assert sent == []

    _results, failures = _at_once(4, lambda i: charge_batch_run(batch_pk=batch.pk))

    assert failures == []
    assert len(sent) == 12
    items = ChargeItem.objects.filter(batch=batch).select_related("order")
    assert {item.status for item in items} == {"succeeded"}
    assert all(item.order.payments.count() == 1 for item in items)
    assert_invariants()


def test_two_approvals_competing_for_one_balance_approve_only_what_it_covers(
    merchant, settled, make_staff, assert_invariants
):
    available = settled(1_000_000)
    half_and_more = available // 2 + 100
    batches = [
        payout_batch_create(
            merchant=merchant,
            livemode=False,
            reference=f"b-{n}",
            items=[{**payout_rows(2)[n], "amount": half_and_more}],
        )[0]
        for n in range(2)
    ]
    approvers = [make_staff(merchant), make_staff(merchant)]

    _results, failures = _at_once(
        2, lambda i: payout_batch_approve(batch=batches[i], user=approvers[i])
    )

    assert [type(f) for f in failures] == [InsufficientBalance]
    statuses = sorted(PayoutBatch.objects.values_list("status", flat=True))
    assert statuses == ["approved", "pending_approval"]
    assert_invariants()


def test_one_reference_sent_four_times_at_once_makes_one_batch(merchant, settled):
    settled(1_000_000)
    rows = payout_rows(5)

    results, failures = _at_once(
        4,
        lambda i: payout_batch_create(
            merchant=merchant, livemode=False, reference="once", items=rows
        ),
    )

    assert failures == []
    assert len({batch.pk for batch, _ in results}) == 1
    assert sorted(created for _, created in results) == [False, False, False, True]
    assert PayoutItem.objects.count() == 5
