"""What the bank reports about sent payouts: paid, failed (rejected) or returned after paying.

Each row moves one item of the batch, with its ledger entry and its ``payout.*`` event, in a
transaction of its own; a row already applied changes nothing, so a file imported twice is
harmless. When no item of the batch is left pending or processing, the batch is completed.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django_fsm import can_proceed

from payments.services import event_record
from payments.transitions import transition_run

from ..models import PayoutBatch, PayoutItem
from ..validation import Rejection
from .ledger_entries import ledger_item_outcome

#: Status words accepted in a results file, with the ISO 20022 codes banks use for them.
OUTCOMES = {
    "paid": PayoutItem.Status.PAID,
    "acsc": PayoutItem.Status.PAID,
    "failed": PayoutItem.Status.FAILED,
    "rjct": PayoutItem.Status.FAILED,
    "returned": PayoutItem.Status.RETURNED,
    "rtrn": PayoutItem.Status.RETURNED,
}
_TRANSITIONS = {
    PayoutItem.Status.PAID: "pay",
    PayoutItem.Status.FAILED: "fail",
    PayoutItem.Status.RETURNED: "return_",
}


def payout_results_apply(*, batch: PayoutBatch, rows: Sequence[dict]) -> dict:
    """Apply the bank's results for the batch's items; return a report.

    ``rows`` are ``{reference, status, reason_code, reason}``; the report counts the rows
    ``applied`` and ``unchanged`` (already so) and lists the refused ones under ``rejected``.
    """
    applied, unchanged, rejected = 0, 0, []
    for number, row in enumerate(rows, start=1):
        reference = str(row.get("reference") or "").strip()
        target = OUTCOMES.get(str(row.get("status") or "").strip().lower())
        if target is None:
            rejected.append(
                Rejection(number, "status", "invalid_status", "Status is paid, failed or returned.")
            )
            continue
        try:
            changed = _item_outcome(batch, reference, target, row)
        except LookupError as err:
            rejected.append(Rejection(number, "reference", "resource_missing", str(err)))
            continue
        except ValueError as err:
            rejected.append(Rejection(number, "status", "invalid_transition", str(err)))
            continue
        applied += changed
        unchanged += not changed
    _batch_complete_if_done(batch)
    return {
        "applied": applied,
        "unchanged": unchanged,
        "rejected": [r.as_dict() for r in rejected],
    }


@transaction.atomic
def _item_outcome(batch: PayoutBatch, reference: str, target: str, row: dict) -> bool:
    item = (
        PayoutItem.objects.select_for_update()
        .select_related("batch", "recipient", "merchant")
        .filter(batch=batch, reference=reference)
        .first()
    )
    if item is None:
        raise LookupError(f"No payout of this batch has the reference {reference!r}.")
    if item.status == target:
        return False
    method = getattr(item, _TRANSITIONS[target])
    if not can_proceed(method):
        raise ValueError(f"A payout that is {item.status} cannot become {target}.")
    transition_run(method)
    if target != PayoutItem.Status.PAID:
        item.failure_code = str(row.get("reason_code") or target)[:32]
        item.failure_message = str(row.get("reason") or "")[:255]
    item.save()
    ledger_item_outcome(item=item, owner=item.merchant.public_id)
    event_record(obj=item, type=f"payout.{target}")
    return True


def _batch_complete_if_done(batch: PayoutBatch) -> None:
    open_states = [PayoutItem.Status.PENDING, PayoutItem.Status.PROCESSING]
    with transaction.atomic():
        batch = PayoutBatch.objects.select_for_update().get(pk=batch.pk)
        if not can_proceed(batch.complete):
            return
        if PayoutItem.objects.filter(batch=batch, status__in=open_states).exists():
            return
        transition_run(batch.complete)
        batch.save(update_fields=["status", "updated"])
        event_record(obj=batch, type="payout_batch.completed")
