"""Celery tasks of settlement: each calls one service and is safe to run twice or at once."""

from celery import shared_task

from . import services


@shared_task(name="settlement.tasks.settlement_run_task")
def settlement_run_task(cutoff: str | None = None) -> list[str]:
    """Close the batches of ``cutoff`` (ISO instant), by default the latest cut-off passed."""
    from datetime import datetime

    at = datetime.fromisoformat(cutoff) if cutoff else services.latest_cutoff()
    return [batch.public_id for batch in services.settlement_run(cutoff=at)]


@shared_task(name="settlement.tasks.payouts_pay_due_task")
def payouts_pay_due_task() -> int:
    """Pay out every payout whose date has come."""
    return services.payouts_pay_due()


@shared_task(name="settlement.tasks.payout_pay_task")
def payout_pay_task(payout_pk: int) -> str:
    return services.payout_pay(payout_pk=payout_pk).status


@shared_task(name="settlement.tasks.reconciliation_run_task")
def reconciliation_run_task() -> bool:
    """Reconcile ledger, batches and payments; store the result; return whether all agree."""
    return services.reconciliation_run().ok
