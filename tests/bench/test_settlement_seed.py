"""The bench loader: into existing merchants without touching their own payments, at any size."""

from datetime import date

import pytest
from django.db.models import Max

from bench.settlement_seed import payments_bulk_insert
from payments.models import Payment
from settlement.services import cutoff_for

CUTOFF = cutoff_for(date(2026, 11, 24))


@pytest.mark.django_db
def test_payments_can_be_loaded_into_existing_merchants_and_keep_the_invariants(
    merchant, captured_payment, assert_invariants
):
    first = payments_bulk_insert(payments=50, merchants=[merchant], captured_before=CUTOFF)
    second = payments_bulk_insert(payments=30, merchants=[merchant], captured_before=CUTOFF)

    assert first.merchants == second.merchants == [merchant]
    assert Payment.objects.filter(merchant=merchant).count() == 1 + 50 + 30
    assert Payment.objects.filter(merchant=merchant, status="captured").count() == 81
    assert_invariants()


@pytest.mark.django_db
def test_new_merchants_are_still_created_when_given_a_number():
    result = payments_bulk_insert(payments=10, merchants=2, captured_before=CUTOFF, ledger=False)

    assert len(result.merchants) == 2
    assert Payment.objects.filter(merchant__in=result.merchants).count() == 10


@pytest.mark.postgres
@pytest.mark.django_db
def test_more_than_271_thousand_rows_load_in_one_call_without_integer_overflow():
    result = payments_bulk_insert(
        payments=272_000, merchants=1, captured_before=CUTOFF, ledger=False
    )

    payments = Payment.objects.filter(merchant__in=result.merchants)
    totals = payments.aggregate(top=Max("amount"))
    assert payments.count() == 272_000
    assert 500 <= totals["top"] < 100_500
