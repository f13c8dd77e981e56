"""Celery tasks of billing: each takes ids, calls one service, and is safe to run twice."""

from celery import shared_task

from .services.engine import billing_sweep, test_clock_advance_run
from .services.notices import notice_send


@shared_task(name="billing.tasks.billing_sweep_task")
def billing_sweep_task() -> dict:
    """Renewals, trial ends, retries, expiries and lost work due now (beat, every minute)."""
    return billing_sweep()


@shared_task(name="billing.tasks.test_clock_advance_task")
def test_clock_advance_task(clock_pk: int) -> str:
    return test_clock_advance_run(clock_pk=clock_pk).status


@shared_task(name="billing.tasks.notice_send_task")
def notice_send_task(notice_pk: int) -> bool:
    return notice_send(notice_pk=notice_pk)


@shared_task(name="billing.tasks.notices_send_task")
def notices_send_task(notice_pks: list[int]) -> int:
    """The notices a batch of renewals queued: one message per commit."""
    return sum(notice_send(notice_pk=pk) for pk in notice_pks)
