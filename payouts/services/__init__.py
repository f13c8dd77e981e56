"""Writes of bulk payouts and bulk charges (keyword-only, each in its transactions)."""

from .charge_batches import (
    charge_batch_complete_if_done,
    charge_batch_create,
    charge_batch_run,
    charge_batch_start,
    charge_item_run,
    charge_items_sweep,
)
from .payout_batches import (
    payout_batch_approve,
    payout_batch_cancel,
    payout_batch_create,
    payout_batch_submit,
)
from .payout_results import payout_results_apply

__all__ = [
    "charge_batch_complete_if_done",
    "charge_batch_create",
    "charge_batch_run",
    "charge_batch_start",
    "charge_item_run",
    "charge_items_sweep",
    "payout_batch_approve",
    "payout_batch_cancel",
    "payout_batch_create",
    "payout_batch_submit",
    "payout_results_apply",
]
