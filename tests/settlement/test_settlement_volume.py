"""Volume: bulk-inserted payments settle in set-based statements, each exactly once."""

import threading
from datetime import date

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from bench.settlement_seed import payments_bulk_insert
from payments.models import Payment
from settlement.models import SettlementBatch, SettlementLine
from settlement.services import cutoff_for, settlement_run
from tests.settlement.conftest import utc

CUTOFF = cutoff_for(date(2026, 11, 24))


@pytest.mark.django_db
def test_bulk_inserted_payments_are_realistic_and_keep_the_invariants(assert_invariants):
    result = payments_bulk_insert(payments=300, merchants=3, captured_before=CUTOFF)

    payments = Payment.objects.filter(merchant__in=result.merchants)
    assert payments.count() == 300
    assert payments.filter(status="captured", order__status="paid").count() == 300
    assert (
        payments.filter(captured_at__lt=CUTOFF, captured_at__gte=utc(2026, 11, 23)).count() == 300
    )
    assert_invariants()


@pytest.mark.django_db
def test_the_number_of_queries_does_not_grow_with_the_number_of_payments(assert_invariants):
    def queries_for(n: int, day: int) -> int:
        payments_bulk_insert(
            payments=n, merchants=2, captured_before=cutoff_for(date(2026, 11, day))
        )
        with CaptureQueriesContext(connection) as ctx:
            settlement_run(cutoff=cutoff_for(date(2026, 11, day)))
        return len(ctx.captured_queries)

    queries_for(10, 24)  # the first run has no bound to read from (settled_through)
    small, large = queries_for(10, 25), queries_for(1000, 26)

    assert small == large
    assert SettlementLine.objects.count() == 1020
    assert_invariants()


@pytest.mark.django_db
def test_a_thousand_payments_settle_into_batches_whose_totals_match_their_lines(assert_invariants):
    result = payments_bulk_insert(payments=1000, merchants=4, captured_before=CUTOFF)

    batches = settlement_run(cutoff=CUTOFF)

    assert len(batches) == 4
    assert sum(b.payment_count for b in batches) == 1000
    gross = sum(
        Payment.objects.filter(merchant__in=result.merchants).values_list("amount", flat=True)
    )
    assert sum(b.gross_amount for b in batches) == gross
    assert_invariants()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_runs_settle_each_payment_exactly_once(assert_invariants):
    payments_bulk_insert(payments=2000, merchants=3, captured_before=CUTOFF)
    errors = []
    barrier = threading.Barrier(4)

    def run(cutoff):
        try:
            barrier.wait()
            settlement_run(cutoff=cutoff)
        except Exception as err:  # noqa: BLE001 - reported by the assertion below
            errors.append(err)
        finally:
            connections.close_all()

    # Two runs of the same cut-off and two of a later one, all at once.
    cutoffs = [CUTOFF, CUTOFF, cutoff_for(date(2026, 11, 25)), cutoff_for(date(2026, 11, 25))]
    threads = [threading.Thread(target=run, args=(c,)) for c in cutoffs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert SettlementLine.objects.count() == 2000
    assert SettlementLine.objects.values("payment_id").distinct().count() == 2000
    assert sum(SettlementBatch.objects.values_list("payment_count", flat=True)) == 2000
    assert_invariants()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_benchmark_compares_the_run_with_the_plain_sql_baseline(assert_invariants):
    from bench.settlement_seed import settlement_benchmark

    figures = settlement_benchmark(payments=3000, merchants=3, cutoff=CUTOFF)

    assert figures["batches"] == 3
    assert figures["baseline_plain_sql_seconds"] > 0
    assert figures["settlement_run_seconds"] > 0
    assert SettlementLine.objects.count() == 3000
    assert_invariants()
