"""Reconciliation and invariants: ledger, batches and payments agree to the minor unit."""

from datetime import date

import pytest
from django.core.management import CommandError, call_command
from django.db.models import ProtectedError

from ledger.services import Line, journal_post
from settlement.invariants import settlement_violations
from settlement.models import ReconciliationRun, SettlementBatch, SettlementLine
from settlement.services import payouts_pay_due, reconciliation_run
from settlement.tasks import reconciliation_run_task
from tests.settlement.conftest import utc

pytestmark = pytest.mark.django_db


@pytest.fixture
def settled(merchant, capture_at, refund_at, settle):
    payment = capture_at(utc(2026, 11, 23, 12), amount=5000)
    capture_at(utc(2026, 11, 23, 13), amount=700)
    (batch,) = settle(date(2026, 11, 24))
    refund_at(payment, utc(2026, 11, 24, 9), amount=5000)
    settle(date(2026, 11, 25))
    payouts_pay_due(today=date(2026, 12, 31))
    return batch


def test_a_clean_run_is_stored_as_ok(settled, capsys):
    call_command("reconcile")

    run = ReconciliationRun.objects.get()
    assert run.ok
    assert run.differences == []
    assert run.finished_at is not None
    assert "agree" in capsys.readouterr().out


def test_the_task_runs_a_reconciliation(settled):
    assert reconciliation_run_task.delay().get() is True
    assert ReconciliationRun.objects.count() == 1


def test_a_batch_total_off_by_one_minor_unit_is_reported(settled):
    SettlementBatch.objects.filter(pk=settled.pk).update(fees_amount=settled.fees_amount + 1)

    run = reconciliation_run()

    assert not run.ok
    fees = next(d for d in run.differences if d["check"] == "batch_fees_amount_vs_lines")
    assert (fees["object"], fees["difference"]) == (settled.public_id, 1)
    assert any("batch_fees_amount_vs_lines" in v for v in settlement_violations())


def test_a_ledger_posting_nobody_explains_is_reported_by_account(merchant, settled):
    journal_post(
        kind="adjustment",
        reference="manual",
        lines=[
            Line(merchant.public_id, "merchant_payable", "USD", -3),
            Line(merchant.public_id, "merchant_paid_out", "USD", 3),
        ],
    )

    with pytest.raises(CommandError):
        call_command("reconcile")

    run = ReconciliationRun.objects.get()
    found = {(d["check"], d["difference"]) for d in run.differences}
    assert found == {("ledger_merchant_payable", -3), ("ledger_merchant_paid_out", 3)}


def test_a_line_that_disagrees_with_its_payment_is_a_violation(settled):
    line = SettlementLine.objects.filter(kind="payment").first()
    SettlementLine.objects.filter(pk=line.pk).update(amount=line.amount - 1, net=line.net - 1)

    violations = settlement_violations()

    assert any("line_vs_payment" in v for v in violations)


def test_a_missing_payout_ledger_entry_is_a_violation(settled):
    from ledger.models import JournalEntry, Posting

    entry = JournalEntry.objects.get(kind="payout")
    Posting.objects.filter(entry=entry).delete()
    entry.delete()

    assert any("payout_entry_merchant_payable" in v for v in settlement_violations())


def test_a_line_that_disagrees_with_its_refund_is_a_violation(settled):
    line = SettlementLine.objects.get(kind="refund")
    SettlementLine.objects.filter(pk=line.pk).update(amount=line.amount + 1, net=line.net - 1)

    diffs = [d for d in reconciliation_run().differences if d["check"] == "line_vs_refund"]

    assert [(d["expected"], d["actual"], d["refund_status"]) for d in diffs] == [
        (line.amount, line.amount + 1, "succeeded")
    ]


def test_the_settled_books_hold_every_invariant(settled, assert_invariants):
    assert settlement_violations() == []
    assert_invariants()


def test_a_line_whose_payment_is_missing_is_reported(settled):
    line = SettlementLine.objects.filter(kind="payment").first()
    SettlementLine.objects.filter(pk=line.pk).update(payment_id=line.payment_id + 10_000)

    run = reconciliation_run()

    assert not run.ok
    missing = next(d for d in run.differences if d["check"] == "line_without_payment")
    assert (missing["object"], missing["payment_id"]) == (
        f"line {line.pk}",
        line.payment_id + 10_000,
    )
    assert missing["batch"] == line.batch.public_id


def test_a_line_whose_refund_is_missing_is_reported(settled):
    line = SettlementLine.objects.get(kind="refund")
    SettlementLine.objects.filter(pk=line.pk).update(refund_id=line.refund_id + 10_000)

    assert any("line_without_refund" in v for v in settlement_violations())


def test_a_settled_payment_cannot_be_deleted(settled):
    line = SettlementLine.objects.filter(kind="payment").select_related("payment").first()

    with pytest.raises(ProtectedError):
        line.payment.delete()

    assert SettlementLine.objects.filter(pk=line.pk, payment_id=line.payment_id).exists()


def test_a_line_whose_batch_is_missing_is_reported(settled):
    line = SettlementLine.objects.filter(kind="payment").first()
    SettlementLine.objects.filter(pk=line.pk).update(batch_id=line.batch_id + 10_000)

    run = reconciliation_run()

    missing = next(d for d in run.differences if d["check"] == "line_without_batch")
    assert (missing["object"], missing["batch_id"]) == (f"line {line.pk}", line.batch_id + 10_000)
