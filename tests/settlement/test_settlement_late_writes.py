"""Late writes: payments and refunds that reach the database after a run, dated before its
cut-off, are settled by the next run, and runs in any order settle each exactly once."""

from datetime import date

import pytest
import time_machine

import settlement.services
from bench.settlement_seed import payments_bulk_insert
from payments.models import Payment
from settlement.models import SettlementBatch, SettlementLine
from settlement.services import cutoff_for
from tests.settlement.conftest import utc

pytestmark = pytest.mark.django_db

NOV_23 = utc(2026, 11, 23, 15, 0)
NOV_24, NOV_25, NOV_26 = date(2026, 11, 24), date(2026, 11, 25), date(2026, 11, 26)


def test_a_payment_written_after_a_run_with_an_older_capture_time_is_settled_next_run(
    capture_at, settle, assert_invariants
):
    capture_at(NOV_23, amount=1000)
    settle(NOV_24)
    late = capture_at(utc(2026, 11, 23, 18), amount=2000)  # captured_at before the NOV_24 cut-off
    today = capture_at(utc(2026, 11, 24, 12), amount=4000)

    (batch,) = settle(NOV_25)

    assert SettlementLine.objects.get(payment=late).batch == batch
    assert SettlementLine.objects.get(payment=today).batch == batch
    assert (batch.payment_count, batch.gross_amount) == (2, 6000)
    assert settle(NOV_26) == []
    assert SettlementLine.objects.count() == 3
    assert_invariants()


def test_a_cutoff_run_again_settles_only_the_groups_not_closed_at_it(capture_at, settle):
    capture_at(utc(2026, 11, 22, 15), amount=500)  # USD has a batch, at an earlier cut-off
    settle(date(2026, 11, 23))
    capture_at(NOV_23, amount=1000, currency="EUR")
    settle(NOV_24)
    # Written late, both captured before the NOV_24 cut-off: EUR's batch there is closed already,
    # USD has none yet.
    late_eur = capture_at(utc(2026, 11, 23, 18), amount=2000, currency="EUR")
    late_usd = capture_at(utc(2026, 11, 23, 18), amount=3000)

    (usd,) = settle(NOV_24)

    assert (usd.currency, usd.payment_count) == ("USD", 1)
    assert SettlementLine.objects.get(payment=late_usd).batch == usd
    assert not SettlementLine.objects.filter(payment=late_eur).exists()
    (eur,) = settle(NOV_25)
    assert SettlementLine.objects.get(payment=late_eur).batch == eur


def test_a_refund_written_after_a_run_with_an_older_processing_time_is_settled_next_run(
    capture_at, refund_at, settle, assert_invariants
):
    payment = capture_at(NOV_23, amount=10_000)
    settle(NOV_24)
    refund = refund_at(payment, utc(2026, 11, 23, 16), amount=3000)

    (batch,) = settle(NOV_25)

    assert SettlementLine.objects.get(refund=refund).batch == batch
    assert (batch.refund_count, batch.refunds_amount, batch.payment_count) == (1, 3000, 0)
    assert settle(NOV_26) == []
    assert_invariants()


def test_bulk_written_payments_dated_before_the_last_cutoff_are_settled_next_run(
    assert_invariants,
):
    first = payments_bulk_insert(payments=40, merchants=2, captured_before=cutoff_for(NOV_24))
    settlement.services.settlement_run(cutoff=cutoff_for(NOV_24))
    payments_bulk_insert(payments=30, merchants=first.merchants, captured_before=cutoff_for(NOV_24))
    payments_bulk_insert(payments=20, merchants=3, captured_before=cutoff_for(NOV_25))

    batches = settlement.services.settlement_run(cutoff=cutoff_for(NOV_25))

    assert len(batches) == 5
    assert sum(b.payment_count for b in batches) == 50
    assert not Payment.objects.filter(settlement_line__isnull=True).exists()
    assert SettlementLine.objects.count() == 90
    assert_invariants()


def test_a_run_of_an_earlier_cutoff_after_a_later_one_settles_nothing_again(
    capture_at, settle, assert_invariants
):
    capture_at(NOV_23)
    capture_at(utc(2026, 11, 24, 12))
    (later,) = settle(NOV_25)

    assert settle(NOV_24) == []
    assert later.payment_count == 2
    assert SettlementLine.objects.count() == 2
    assert_invariants()


def test_a_crash_in_one_transaction_of_a_run_keeps_the_batches_committed_before_it(
    monkeypatch, assert_invariants
):
    payments_bulk_insert(payments=30, merchants=3, captured_before=cutoff_for(NOV_24))
    monkeypatch.setattr(settlement.services, "CHUNK_LINES", 10)  # one group per transaction
    post = settlement.services.journal_post_many
    calls = []

    def crash_on_the_second(entries):
        calls.append(entries)
        if len(calls) == 2:
            raise RuntimeError("database went away")
        return post(entries)

    monkeypatch.setattr(settlement.services, "journal_post_many", crash_on_the_second)
    with pytest.raises(RuntimeError):
        settlement.services.settlement_run(cutoff=cutoff_for(NOV_24))

    assert SettlementBatch.objects.count() == 1
    assert SettlementLine.objects.count() == 10
    batches = settlement.services.settlement_run(cutoff=cutoff_for(NOV_24))
    assert len(batches) == 2
    assert SettlementLine.objects.values("payment_id").distinct().count() == 30
    assert_invariants()


def test_the_bound_a_run_reads_from_is_the_last_cutoff_only_while_everything_before_is_settled(
    capture_at, refund_at, settle, monkeypatch, django_capture_on_commit_callbacks
):
    import payments.services.refunds as refunds
    from institutions.connector import OperationResult
    from payments.services import refund_create
    from settlement.services import settled_through

    class Refusing:
        def __init__(self, code):
            pass

        def refund(self, **kwargs):
            return OperationResult(succeeded=False, failure_code="account_closed")

    assert settled_through() is None  # nothing settled yet: no bound
    payment = capture_at(NOV_23, amount=10_000)
    refund_at(payment, utc(2026, 11, 23, 16), amount=1000)
    with (
        monkeypatch.context() as patched,
        time_machine.travel(utc(2026, 11, 23, 17), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        patched.setattr(refunds, "connector_for", Refusing)
        failed = refund_create(merchant=payment.merchant, payment_id=payment.public_id, amount=5)
    failed.refresh_from_db()
    assert failed.status == "failed"  # processed before the cut-off, and nothing to settle
    settle(NOV_24)
    assert settled_through() == cutoff_for(NOV_24)

    refund_at(payment, utc(2026, 11, 24, 12), amount=500)  # after the cut-off: the bound stands
    assert settled_through() == cutoff_for(NOV_24)
    capture_at(utc(2026, 11, 23, 18), amount=2000)  # written late, dated before that cut-off
    assert settled_through() is None
    settle(NOV_25)
    assert settled_through() == cutoff_for(NOV_25)

    refund_at(payment, utc(2026, 11, 24, 13), amount=500)  # late as well
    assert settled_through() is None


@pytest.mark.parametrize(
    ("merchants", "groups", "lines", "transactions"),
    [
        (2, 100, 10, 1),  # two groups of 5 lines: exactly the line limit
        (2, 100, 9, 2),
        (3, 100, 10, 2),  # the third group's 5 lines would make 15
        (2, 2, 50_000, 1),  # exactly the group limit
        (2, 1, 50_000, 2),
        (4, 2, 10, 2),  # the group limit starts a transaction whose lines count from 0
    ],
)
def test_a_run_closes_as_many_groups_per_transaction_as_its_limits_allow(
    monkeypatch, merchants, groups, lines, transactions
):
    payments_bulk_insert(
        payments=5 * merchants, merchants=merchants, captured_before=cutoff_for(NOV_24)
    )
    monkeypatch.setattr(settlement.services, "CHUNK_GROUPS", groups)
    monkeypatch.setattr(settlement.services, "CHUNK_LINES", lines)
    post, chunks = settlement.services.journal_post_many, []

    def one_call_per_transaction(entries):
        chunks.append(len(entries))
        return post(entries)

    monkeypatch.setattr(settlement.services, "journal_post_many", one_call_per_transaction)
    batches = settlement.services.settlement_run(cutoff=cutoff_for(NOV_24))

    assert [b.payment_count for b in batches] == [5] * merchants
    assert len(chunks) == transactions and sum(chunks) == merchants
