"""Batches: what a cut-off settles, the fees, payouts, carry-over, idempotency and the ledger."""

from datetime import date

import pytest
import time_machine

from ledger.selectors import account_balance
from payments.models import Event
from payments.services import order_create
from settlement.models import Payout, SettlementBatch, SettlementLine
from settlement.services import payouts_pay_due, settlement_batch_close, settlement_run
from tests.settlement.conftest import utc

pytestmark = pytest.mark.django_db

NOV_23 = utc(2026, 11, 23, 15, 0)  # a Monday
NOV_24 = date(2026, 11, 24)


def balance(merchant, kind, currency="USD"):
    return account_balance(owner=merchant.public_id, kind=kind, currency=currency)


def test_batch_totals_gross_fees_and_net_per_merchant_and_currency(
    merchant, capture_at, settle, assert_invariants
):
    # Default schedule 2.90% + 30: 1000 -> 29 + 30; 2500 -> 72.5 -> 72 (half-even) + 30.
    capture_at(NOV_23, amount=1000)
    capture_at(NOV_23, amount=2500)
    capture_at(NOV_23, amount=5000, currency="EUR")

    batches = settle(NOV_24)

    usd = next(b for b in batches if b.currency == "USD")
    assert len(batches) == 2
    assert (usd.payment_count, usd.gross_amount, usd.fees_amount) == (2, 3500, 59 + 102)
    assert usd.net_amount == usd.payout_amount == 3500 - 161
    assert usd.status == "closed"
    assert usd.payout.amount == usd.payout_amount
    assert balance(merchant, "merchant_pending") == 0
    assert balance(merchant, "platform_fees") == -161
    assert balance(merchant, "merchant_payable") == -(3500 - 161)
    assert_invariants()


def test_payments_captured_after_the_cutoff_wait_for_the_next_batch(
    capture_at, settle, assert_invariants
):
    early = capture_at(utc(2026, 11, 23, 23, 59, 59))
    late = capture_at(utc(2026, 11, 24, 0, 0, 0))

    first = settle(NOV_24)
    second = settle(date(2026, 11, 25))

    assert SettlementLine.objects.get(payment=early).batch == first[0]
    assert SettlementLine.objects.get(payment=late).batch == second[0]
    assert_invariants()


def test_running_the_same_cutoff_twice_changes_nothing(capture_at, settle, assert_invariants):
    capture_at(NOV_23)
    settle(NOV_24)
    counts = (SettlementBatch.objects.count(), SettlementLine.objects.count())

    again = settle(NOV_24)

    assert again == []
    assert (SettlementBatch.objects.count(), SettlementLine.objects.count()) == counts
    assert_invariants()


def test_a_later_cutoff_does_not_settle_a_payment_twice(capture_at, settle, assert_invariants):
    payment = capture_at(NOV_23)
    settle(NOV_24)

    later = settle(date(2026, 11, 26))

    assert later == []
    assert SettlementLine.objects.filter(payment=payment).count() == 1
    assert_invariants()


def test_a_group_with_nothing_left_to_settle_leaves_no_empty_batch(merchant, capture_at, settle):
    capture_at(NOV_23)
    settle(NOV_24)

    batch = settlement_batch_close(
        merchant_id=merchant.pk, currency="USD", livemode=False, cutoff=utc(2026, 11, 25)
    )

    assert batch is None
    assert SettlementBatch.objects.count() == 1


def test_closing_the_batch_of_an_unknown_merchant_is_not_found():
    from payments.errors import NotFound

    with pytest.raises(NotFound) as refused:
        settlement_batch_close(
            merchant_id=987654, currency="USD", livemode=False, cutoff=utc(2026, 11, 25)
        )
    assert refused.value.message == "No such merchant."
    assert not SettlementBatch.objects.exists()


def test_a_refund_after_settlement_is_carried_into_the_next_batch(
    merchant, capture_at, refund_at, settle, assert_invariants
):
    payment = capture_at(NOV_23, amount=10_000)
    settle(NOV_24)
    refund = refund_at(payment, utc(2026, 11, 24, 10), amount=3000)
    capture_at(utc(2026, 11, 24, 11), amount=5000)

    (batch,) = settle(date(2026, 11, 25))

    assert SettlementLine.objects.get(refund=refund).batch == batch
    assert (batch.gross_amount, batch.refunds_amount, batch.fees_amount) == (5000, 3000, 175)
    assert batch.payout_amount == 5000 - 3000 - 175
    assert balance(merchant, "merchant_pending") == 0
    assert_invariants()


def test_a_refund_before_the_cutoff_is_settled_with_its_payment(
    capture_at, refund_at, settle, assert_invariants
):
    payment = capture_at(NOV_23, amount=10_000)
    refund_at(payment, utc(2026, 11, 23, 16))

    (batch,) = settle(NOV_24)

    assert (batch.gross_amount, batch.refunds_amount, batch.fees_amount) == (10_000, 10_000, 320)
    assert batch.payout_amount == 0
    assert batch.carry_out == -320
    assert_invariants()


def test_a_negative_net_carries_over_and_is_subtracted_next_time(
    merchant, capture_at, refund_at, settle, assert_invariants
):
    payment = capture_at(NOV_23, amount=10_000)
    settle(NOV_24)
    refund_at(payment, utc(2026, 11, 24, 9))

    (negative,) = settle(date(2026, 11, 25))

    assert (negative.net_amount, negative.payout_amount, negative.carry_out) == (
        -10_000,
        0,
        -10_000,
    )
    assert not Payout.objects.filter(batch=negative).exists()
    # The merchant owes the platform the refund: it stays in pending, nothing becomes payable.
    assert balance(merchant, "merchant_pending") == 10_000
    assert_invariants()

    capture_at(utc(2026, 11, 25, 12), amount=20_000)
    (recovered,) = settle(date(2026, 11, 26))

    assert recovered.carry_in == -10_000
    assert recovered.payout_amount == 20_000 - 610 - 10_000
    assert recovered.carry_out == 0
    assert balance(merchant, "merchant_pending") == 0
    assert balance(merchant, "merchant_payable") == -(9_680 + 9_390)
    assert_invariants()


def test_a_merchant_on_manual_payouts_keeps_the_money_payable_and_gets_no_payout(
    merchant, capture_at, settle, assert_invariants
):
    merchant.payout_schedule = "manual"
    merchant.save(update_fields=["payout_schedule"])
    capture_at(NOV_23, amount=1000)

    (batch,) = settle(NOV_24)

    assert (batch.status, batch.payout_amount) == ("closed", 941)
    assert not Payout.objects.exists()
    assert balance(merchant, "merchant_payable") == -941
    assert_invariants()


def test_a_negative_net_is_carried_within_its_currency_past_the_other_currencies_batches(
    merchant, capture_at, refund_at, settle, assert_invariants
):
    payment = capture_at(NOV_23, amount=10_000, currency="EUR")
    settle(NOV_24)
    refund_at(payment, utc(2026, 11, 24, 9))
    capture_at(utc(2026, 11, 24, 10), amount=5000)  # USD: its batch is written after EUR's

    negative = {b.currency: b for b in settle(date(2026, 11, 25))}["EUR"]
    assert negative.carry_out == -10_000
    capture_at(utc(2026, 11, 25, 12), amount=20_000, currency="EUR")
    (recovered,) = settle(date(2026, 11, 26))

    assert (recovered.currency, recovered.carry_in) == ("EUR", -10_000)
    assert_invariants()


def test_a_live_negative_net_is_carried_into_the_next_live_batch(
    merchant, capture_at, refund_at, settle, live_institution, assert_invariants
):
    merchant.live_enabled = True
    merchant.save()
    payment = capture_at(NOV_23, amount=10_000, livemode=True)
    settle(NOV_24)
    refund_at(payment, utc(2026, 11, 24, 9))
    (negative,) = settle(date(2026, 11, 25))
    assert (negative.livemode, negative.carry_out) == (True, -10_000)

    capture_at(utc(2026, 11, 25, 12), amount=20_000, livemode=True)
    (recovered,) = settle(date(2026, 11, 26))

    assert (recovered.livemode, recovered.carry_in) == (True, -10_000)
    assert_invariants()


def test_test_mode_and_live_mode_money_settle_in_separate_batches(
    merchant, capture_at, settle, assert_invariants, live_institution
):
    merchant.live_enabled = True
    merchant.save()
    capture_at(NOV_23, livemode=True)
    capture_at(NOV_23)

    batches = settle(NOV_24)

    assert sorted(b.livemode for b in batches) == [False, True]
    # Each batch's payout is in the batch's mode.
    assert sorted(Payout.objects.values_list("batch__livemode", "livemode")) == [
        (False, False),
        (True, True),
    ]
    assert_invariants()


def test_batches_are_per_merchant(merchant, other_merchant, capture_at, settle, pay):
    capture_at(NOV_23)
    with time_machine.travel(NOV_23, tick=False):
        pay(order_create(merchant=other_merchant, amount=700, currency="USD", reference="x"))

    batches = settle(NOV_24)

    assert {b.merchant_id for b in batches} == {merchant.pk, other_merchant.pk}


def test_the_payout_is_paid_on_its_date_with_ledger_entry_and_event(
    merchant, capture_at, settle, django_capture_on_commit_callbacks, assert_invariants
):
    capture_at(NOV_23, amount=1000)
    (batch,) = settle(NOV_24)
    payout = batch.payout
    assert payout.payout_date == date(2026, 11, 27)  # Tue + 2 business days, Thanksgiving skipped

    assert payouts_pay_due(today=date(2026, 11, 26)) == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert payouts_pay_due(today=date(2026, 11, 27)) == 1

    payout.refresh_from_db()
    batch.refresh_from_db()
    assert (payout.status, batch.status) == ("paid", "paid")
    assert balance(merchant, "merchant_payable") == 0
    assert balance(merchant, "merchant_paid_out") == -941
    event = Event.objects.get(type="settlement.paid")
    assert event.object_id == payout.public_id
    assert event.data["amount"] == 941
    assert event.data["settlement"] == batch.public_id
    assert_invariants()


def test_a_batch_and_its_payout_are_each_one_ledger_entry_under_their_own_key(
    merchant, capture_at, settle
):
    from ledger.models import JournalEntry

    capture_at(NOV_23, amount=1000)
    (batch,) = settle(NOV_24)
    payout = batch.payout
    payouts_pay_due(today=date(2026, 12, 31))

    entries = {
        entry.kind: (
            entry.reference,
            entry.description,
            entry.idempotency_key,
            sorted((p.account.kind, p.amount) for p in entry.postings.all()),
        )
        for entry in JournalEntry.objects.exclude(kind="capture")
    }

    assert entries == {
        "settlement": (
            batch.public_id,
            f"Settlement {batch.public_id} at 2026-11-24 00:00",
            f"settlement:{batch.public_id}",
            [("merchant_payable", -941), ("merchant_pending", 1000), ("platform_fees", -59)],
        ),
        "payout": (
            payout.public_id,
            f"Payout {payout.public_id} of {batch.public_id}",
            f"payout:{payout.public_id}",
            [("merchant_paid_out", -941), ("merchant_payable", 941)],
        ),
    }


def test_a_closed_batch_records_when_and_is_told_as_the_batchs_first_event(capture_at, settle):
    capture_at(NOV_23)
    (batch,) = settle(NOV_24)  # run at the cut-off instant

    batch.refresh_from_db()
    assert (batch.status, batch.closed_at) == ("closed", utc(2026, 11, 24))
    told = Event.objects.filter(object_id=batch.public_id).values_list("type", "sequence")
    assert list(told) == [("settlement.closed", 1)]


def test_paying_a_payout_twice_pays_it_once(capture_at, settle, assert_invariants):
    capture_at(NOV_23)
    settle(NOV_24)

    payouts_pay_due(today=date(2026, 12, 31))
    payouts_pay_due(today=date(2026, 12, 31))

    assert Event.objects.filter(type="settlement.paid").count() == 1
    assert_invariants()


def test_payouts_due_are_paid_longest_owed_first(capture_at, settle):
    capture_at(NOV_23, amount=1000)
    capture_at(NOV_23, amount=5000, currency="EUR")
    settle(NOV_24)
    first, second = Payout.objects.order_by("pk")
    # The first one written falls due later than the second.
    Payout.objects.filter(pk=first.pk).update(payout_date=date(2026, 11, 30))

    assert payouts_pay_due(today=date(2026, 12, 31)) == 2

    paid = Event.objects.filter(type="settlement.paid").order_by("pk")
    assert [event.object_id for event in paid] == [second.public_id, first.public_id]


def test_a_payout_that_cannot_be_paid_does_not_hold_up_the_payouts_after_it(
    capture_at, settle, caplog
):
    from ledger.services import Line, journal_post

    capture_at(NOV_23, amount=1000)
    capture_at(NOV_23, amount=5000, currency="EUR")
    settle(NOV_24)
    first, second = Payout.objects.order_by("pk")
    # Under the first payout's ledger key, an entry recording another movement: paying it
    # would post a second, different entry, which the ledger refuses.
    journal_post(
        kind="adjustment",
        reference=first.public_id,
        idempotency_key=f"payout:{first.public_id}",
        lines=[
            Line(owner="platform", kind="platform_cash", currency=first.currency, amount=1),
            Line(owner="platform", kind="platform_fees", currency=first.currency, amount=-1),
        ],
    )

    assert payouts_pay_due(today=date(2026, 12, 31)) == 1

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == ("scheduled", "paid")
    assert f"Payout {first.pk} could not be paid" in caplog.text


def test_a_crash_midway_leaves_nothing_half_settled(capture_at, settle, monkeypatch):
    import settlement.services

    capture_at(NOV_23)

    def crash(entries):
        raise RuntimeError("database went away")

    monkeypatch.setattr(settlement.services, "journal_post_many", crash)
    with pytest.raises(RuntimeError):
        settle(NOV_24)

    assert SettlementBatch.objects.count() == 0
    assert SettlementLine.objects.count() == 0
    monkeypatch.undo()
    assert len(settle(NOV_24)) == 1


def test_settlement_run_with_nothing_captured_closes_no_batch(merchant):
    assert settlement_run(cutoff=utc(2026, 11, 24)) == []
