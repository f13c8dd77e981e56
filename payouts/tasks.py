"""Celery tasks of bulk charges: each calls one service and is safe to run twice or at once."""

from celery import shared_task

from .services import charge_batch_run, charge_items_sweep


@shared_task(name="payouts.tasks.charge_batch_run_task")
def charge_batch_run_task(batch_pk: int) -> int:
    """Charge a started batch's items (a wake-up: the sweep finds them too)."""
    return charge_batch_run(batch_pk=batch_pk)


@shared_task(name="payouts.tasks.charge_items_sweep_task")
def charge_items_sweep_task() -> int:
    """Charge the unfinished items whose wake-up was lost or whose worker died."""
    return charge_items_sweep()
