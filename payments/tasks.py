"""Celery tasks: each takes ids, fetches, and calls one service; each is safe to run twice."""

from celery import shared_task

from institutions.connector import ConnectorTimeout

from . import services


@shared_task(
    name="payments.tasks.refund_process_task",
    autoretry_for=(ConnectorTimeout,),
    retry_backoff=5,
    retry_backoff_max=600,
    max_retries=20,
)
def refund_process_task(refund_pk: int) -> str:
    return services.refund_process(refund_pk=refund_pk).status


@shared_task(name="payments.tasks.refunds_sweep_task")
def refunds_sweep_task() -> int:
    """Send again refunds whose task was lost (beat, every 5 minutes)."""
    return services.refunds_sweep()


@shared_task(name="payments.tasks.orders_expire_task")
def orders_expire_task() -> int:
    return services.orders_expire()


@shared_task(name="payments.tasks.authorizations_expire_task")
def authorizations_expire_task() -> int:
    return services.authorizations_expire()


@shared_task(name="payments.tasks.bank_transfers_expire_task")
def bank_transfers_expire_task() -> int:
    return services.bank_transfers_expire()


@shared_task(name="payments.tasks.attempts_reconcile_task")
def attempts_reconcile_task() -> int:
    return services.attempts_reconcile()
