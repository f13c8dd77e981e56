"""Fees: amount x bps / 10000 rounded half-even to the minor unit, plus the fixed fee."""

from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal

import pytest
from django.db import connection
from hypothesis import given, settings
from hypothesis import strategies as st

from payments.errors import ValidationFailed
from payments.money import CURRENCIES, fixed_fee_default
from payments.services import merchant_fixed_fee_set
from settlement.models import SettlementLine
from settlement.sql import fee_sql
from tests.settlement.conftest import utc

pytestmark = pytest.mark.django_db


def fee_for(*, amount: int, bps: int, fixed: int) -> int:
    """The rule in ``Decimal``: the oracle the SQL expression is held equal to."""
    percentage = (Decimal(amount) * bps / 10_000).quantize(Decimal(1), rounding=ROUND_HALF_EVEN)
    return int(percentage) + fixed


def sql_fee(amount: int, bps: int, fixed: int) -> int:
    expr, params = fee_sql(f"CAST({int(amount)} AS BIGINT)", bps=bps, fixed=fixed)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {expr}", params)
        return cursor.fetchone()[0]


@pytest.mark.parametrize(
    ("amount", "bps", "expected"),
    [
        (100, 250, 2),  # 2.5 -> 2 (even)
        (300, 250, 8),  # 7.5 -> 8 (even)
        (20, 2500, 5),  # 5.0 exactly
        (101, 250, 3),  # 2.525 -> 3
        (99, 250, 2),  # 2.475 -> 2
        (1, 5000, 0),  # 0.5 -> 0
        (3, 5000, 2),  # 1.5 -> 2
    ],
)
def test_fee_rounds_half_even_to_the_minor_unit(amount, bps, expected):
    assert fee_for(amount=amount, bps=bps, fixed=0) == expected
    assert sql_fee(amount, bps, 0) == expected
    assert sql_fee(amount, bps, 30) == expected + 30


@settings(max_examples=300, deadline=None)
@given(
    amount=st.integers(min_value=1, max_value=10**12),
    bps=st.integers(min_value=0, max_value=10_000),
    fixed=st.integers(min_value=0, max_value=10_000),
)
def test_fee_in_sql_equals_decimal_half_even(amount, bps, fixed):
    assert sql_fee(amount, bps, fixed) == fee_for(amount=amount, bps=bps, fixed=fixed)


@settings(max_examples=100, deadline=None)
@given(quotient=st.integers(min_value=0, max_value=10**9), bps=st.sampled_from([2500, 5000]))
def test_fee_in_sql_equals_decimal_at_exact_halves(quotient, bps):
    # amount * bps ends in exactly 5000 / 10000: the tie case.
    amount = (2 * quotient + 1) * (5000 // bps) if bps == 5000 else (2 * quotient + 1) * 2
    assert sql_fee(amount, bps, 0) == fee_for(amount=amount, bps=bps, fixed=0)


@pytest.mark.parametrize(
    ("currency", "amounts", "fees"),
    [
        # JPY has no minor unit: 2.5% of 100 yen is 2.5 yen -> 2; of 300 yen 7.5 -> 8.
        ("JPY", [100, 300], [2, 8]),
        # USD cents: 2.5% of 21.00 is 52.5 cents -> 52; of 23.00, 57.5 -> 58.
        ("USD", [2100, 2300], [52, 58]),
        # KWD fils (3 decimals): 2.5% of 1.500 is 37.5 fils -> 38; of 1.700, 42.5 -> 42.
        ("KWD", [1500, 1700], [38, 42]),
    ],
)
def test_batch_fees_round_half_even_per_payment_in_each_currency(
    merchant, capture_at, settle, currency, amounts, fees, assert_invariants
):
    merchant.fee_bps = 250
    merchant.save()
    merchant_fixed_fee_set(merchant=merchant, currency=currency, amount=0)
    payments = [capture_at(utc(2026, 11, 23, 12), amount=a, currency=currency) for a in amounts]

    (batch,) = settle(date(2026, 11, 24))

    assert [SettlementLine.objects.get(payment=p).fee for p in payments] == fees
    assert batch.fees_amount == sum(fees)
    assert batch.payout_amount == sum(amounts) - sum(fees)
    assert_invariants()


def test_the_fixed_fee_is_charged_per_payment(merchant, capture_at, settle):
    merchant.fee_bps = 0
    merchant.save()
    merchant_fixed_fee_set(merchant=merchant, currency="USD", amount=25)
    for _ in range(3):
        capture_at(utc(2026, 11, 23, 12), amount=1000)

    (batch,) = settle(date(2026, 11, 24))

    assert batch.fees_amount == 75
    assert (batch.fee_bps, batch.fee_fixed) == (0, 25)


@pytest.mark.parametrize(
    ("currency", "amount", "fixed"),
    [
        ("USD", 1000, 30),
        ("EUR", 1000, 30),
        ("GBP", 1000, 30),
        ("JPY", 1000, 40),
        ("KWD", 1000, 100),
    ],
)
def test_the_default_fixed_fee_is_set_per_currency_in_its_minor_units(
    merchant, capture_at, settle, currency, amount, fixed, assert_invariants
):
    """Issue 17, point 12: "30" was ¥30 and 0.030 KWD; it is 0.30 USD, ¥40 and 0.100 KWD."""
    merchant.fee_bps = 0
    merchant.save()
    capture_at(utc(2026, 11, 23, 12), amount=amount, currency=currency)

    (batch,) = settle(date(2026, 11, 24))

    assert (batch.fee_fixed, batch.fees_amount) == (fixed, fixed)
    assert batch.payout_amount == amount - fixed
    assert_invariants()


def test_a_merchants_override_applies_to_its_currency_only(
    merchant, capture_at, settle, assert_invariants
):
    merchant.fee_bps = 0
    merchant.save()
    merchant_fixed_fee_set(merchant=merchant, currency="JPY", amount=10)
    capture_at(utc(2026, 11, 23, 12), amount=1000, currency="JPY")
    capture_at(utc(2026, 11, 23, 12), amount=1000, currency="USD")

    batches = {b.currency: b for b in settle(date(2026, 11, 24))}

    assert batches["JPY"].fees_amount == 10
    assert batches["USD"].fees_amount == 30
    assert_invariants()


def test_every_supported_currency_has_a_default_fixed_fee_within_its_minimum_amount():
    for code, currency in CURRENCIES.items():
        assert 0 < fixed_fee_default(code) <= currency.min_amount, code


@pytest.mark.parametrize(("currency", "amount"), [("XXX", 10), ("USD", -1), ("JPY", True)])
def test_an_override_must_be_a_supported_currency_and_a_non_negative_amount(
    merchant, currency, amount
):
    with pytest.raises(ValidationFailed):
        merchant_fixed_fee_set(merchant=merchant, currency=currency, amount=amount)


def test_a_merchant_charged_no_fee_gets_its_whole_net_payable_and_no_fee_posting(
    merchant, capture_at, settle, assert_invariants
):
    from ledger.models import JournalEntry

    merchant.fee_bps = 0
    merchant.save()
    merchant_fixed_fee_set(merchant=merchant, currency="USD", amount=0)
    capture_at(utc(2026, 11, 23, 12), amount=1000)

    (batch,) = settle(date(2026, 11, 24))

    assert (batch.fees_amount, batch.payout_amount) == (0, 1000)
    entry = JournalEntry.objects.get(kind="settlement")
    assert sorted((p.account.kind, p.amount) for p in entry.postings.all()) == [
        ("merchant_payable", -1000),
        ("merchant_pending", 1000),
    ]
    assert_invariants()


def test_a_batch_that_moves_nothing_writes_no_ledger_entry_and_no_payout(
    merchant, capture_at, refund_at, settle, assert_invariants
):
    from ledger.models import JournalEntry
    from settlement.models import Payout

    merchant.fee_bps = 0
    merchant.save()
    merchant_fixed_fee_set(merchant=merchant, currency="USD", amount=0)
    payment = capture_at(utc(2026, 11, 23, 12), amount=1000)
    refund_at(payment, utc(2026, 11, 23, 13))

    (batch,) = settle(date(2026, 11, 24))

    assert (batch.status, batch.net_amount, batch.payout_amount) == ("closed", 0, 0)
    assert not JournalEntry.objects.filter(kind="settlement").exists()
    assert not Payout.objects.exists()
    assert_invariants()
