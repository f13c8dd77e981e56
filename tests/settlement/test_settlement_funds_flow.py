"""Money moves from the shopper's account to the merchant's: the institution debits the holder
(what is left is all the next payment can spend), the ledger owes it to the merchant, and the
settlement batch pays it out 1-3 business days later, less fees."""

from datetime import date

import pytest
import time_machine

from ledger.selectors import account_balance
from payments.errors import NotFound
from payments.models import Event
from settlement.services import payout_pay, payouts_pay_due
from tests.conftest import DEBIT_100, card
from tests.settlement.conftest import utc

pytestmark = pytest.mark.django_db

MONDAY = utc(2026, 11, 23, 15, 0)


def _owed(merchant, kind: str) -> int:
    return -account_balance(owner=merchant.public_id, kind=kind, currency="USD")


def test_a_captured_payment_is_debited_from_the_shopper_and_paid_out_to_the_merchant(
    merchant, make_order, pay, settle, django_capture_on_commit_callbacks, assert_invariants
):
    with time_machine.travel(MONDAY, tick=False):
        # A debit card holding 100.00: 60.00 is taken from it, so 50.00 more cannot be.
        first = pay(make_order(amount=6000), card(DEBIT_100))
        second = pay(make_order(amount=5000), card(DEBIT_100))
        third = pay(make_order(amount=4000), card(DEBIT_100))

    assert (first.status, first.amount_captured) == ("captured", 6000)
    assert (second.status, second.decline_code) == ("declined", "insufficient_funds")
    assert (third.status, third.amount_captured) == ("captured", 4000)
    assert _owed(merchant, "merchant_pending") == 10000

    (batch,) = settle(date(2026, 11, 24))  # cut-off Tuesday 00:00 UTC

    assert (batch.gross_amount, batch.payment_count) == (10000, 2)
    assert batch.payout_amount == 10000 - batch.fees_amount > 0
    # Two business days (the merchant's delay) after Tuesday: Wednesday, then Friday, as
    # Thursday 26 November is Thanksgiving.
    assert merchant.settlement_delay_days == 2
    assert batch.payout_date == date(2026, 11, 27)
    assert _owed(merchant, "merchant_pending") == 0
    assert _owed(merchant, "merchant_payable") == batch.payout_amount
    with django_capture_on_commit_callbacks(execute=True):
        assert payouts_pay_due(today=batch.payout_date) == 1
    assert _owed(merchant, "merchant_payable") == 0
    assert _owed(merchant, "merchant_paid_out") == batch.payout_amount
    assert_invariants()


def test_paying_a_payout_twice_moves_the_money_once(
    merchant, make_order, pay, settle, assert_invariants
):
    with time_machine.travel(MONDAY, tick=False):
        pay(make_order(amount=6000), card(DEBIT_100))
    (batch,) = settle(date(2026, 11, 24))
    payout = batch.payout

    first = payout_pay(payout_pk=payout.pk)
    again = payout_pay(payout_pk=payout.pk)

    assert (first.status, again.status) == ("paid", "paid")
    assert first.paid_at is not None and again.paid_at == first.paid_at
    assert _owed(merchant, "merchant_payable") == 0
    assert _owed(merchant, "merchant_paid_out") == batch.payout_amount
    batch.refresh_from_db()
    assert batch.status == "paid"
    assert Event.objects.filter(type="settlement.paid").count() == 1
    assert_invariants()


def test_paying_a_payout_that_does_not_exist_is_not_found():
    with pytest.raises(NotFound):
        payout_pay(payout_pk=987654)


def test_every_payout_due_is_paid_in_one_run(merchant, make_order, pay, settle, assert_invariants):
    with time_machine.travel(MONDAY, tick=False):
        pay(make_order(amount=3000), card(DEBIT_100))
    (first,) = settle(date(2026, 11, 24))
    with time_machine.travel(utc(2026, 11, 24, 15, 0), tick=False):
        pay(make_order(amount=2000), card(DEBIT_100))
    (second,) = settle(date(2026, 11, 25))
    assert first.payout_date < second.payout_date

    assert payouts_pay_due(today=first.payout_date) == 1  # the later one is not due yet
    assert payouts_pay_due(today=second.payout_date) == 1
    assert payouts_pay_due(today=second.payout_date) == 0
    assert _owed(merchant, "merchant_paid_out") == first.payout_amount + second.payout_amount
    assert_invariants()


def test_two_payouts_due_the_same_day_are_both_counted(
    merchant, make_order, pay, settle, assert_invariants
):
    with time_machine.travel(MONDAY, tick=False):
        pay(make_order(amount=3000), card(DEBIT_100))
    (first,) = settle(date(2026, 11, 24))
    with time_machine.travel(utc(2026, 11, 24, 15, 0), tick=False):
        pay(make_order(amount=2000), card(DEBIT_100))
    (second,) = settle(date(2026, 11, 25))

    assert payouts_pay_due(today=second.payout_date) == 2
    assert_invariants()
