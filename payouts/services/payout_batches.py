"""Bulk payouts: prepare (validate row by row), approve (a second person; ledger hold), submit.

A batch is idempotent by its reference: preparing it again returns the batch made the first
time and writes nothing. Only the rows without error become items; the others are kept in the
batch's ``rejected`` report.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import IntegrityError, transaction
from django.utils import timezone
from django_fsm import can_proceed

from payments.errors import ValidationFailed
from payments.models import Merchant
from payments.services import event_record
from payments.transitions import transition_check, transition_run
from payments.validation import FieldError

from ..errors import InsufficientBalance, SamePerson
from ..models import PayoutBatch, PayoutItem, Recipient
from ..selectors import (
    payout_balances_available,
    payout_batch_summary,
    payout_references_used,
)
from ..validation import MAX_ITEMS, PayoutRow, payout_rows_check
from .ledger_entries import ledger_batch_hold

REFERENCE_MAX = PayoutBatch._meta.get_field("reference").max_length


def batch_input_errors(*, reference: object, items: object) -> list[FieldError]:
    """The errors of a bulk request as a whole (its reference and its list of items)."""
    errors = []
    if not isinstance(reference, str) or not reference.strip():
        errors.append(FieldError("reference", "required", "Give the batch a reference."))
    elif len(reference.strip()) > REFERENCE_MAX:
        errors.append(FieldError("reference", "too_long", f"At most {REFERENCE_MAX} characters."))
    if not isinstance(items, list) or not items:
        errors.append(FieldError("items", "required", "Send a non-empty list of items."))
    elif len(items) > MAX_ITEMS:
        errors.append(
            FieldError("items", "too_many_items", f"A batch has at most {MAX_ITEMS:,} items.")
        )
    return errors


def payout_batch_create(
    *,
    merchant: Merchant,
    livemode: bool,
    reference: str,
    items: Sequence,
    source: str = PayoutBatch.Source.API,
    prepared_by=None,
) -> tuple[PayoutBatch, bool]:
    """Prepare a batch awaiting approval; return it and whether it was created now.

    Raise ``ValidationFailed`` for a bad reference or item list, or when no row is accepted
    (nothing is written then). The same reference again returns the existing batch.
    """
    if errors := batch_input_errors(reference=reference, items=items):
        raise ValidationFailed(errors)
    reference = reference.strip()
    scope = {"merchant": merchant, "livemode": livemode, "reference": reference}
    if existing := PayoutBatch.objects.filter(**scope).first():
        return existing, False
    wanted = [i.get("reference") for i in items if isinstance(i, dict)]
    wanted = {ref.strip() for ref in wanted if isinstance(ref, str)}
    accepted, rejected = payout_rows_check(
        items=items,
        available=payout_balances_available(merchant=merchant),
        used_references=payout_references_used(
            merchant=merchant, livemode=livemode, references=wanted
        ),
    )
    if not accepted:
        # No row accepted: nothing is created, and the problem's detail is the first row's.
        raise ValidationFailed([FieldError(r.api_field, r.code, r.message) for r in rejected])
    try:
        with transaction.atomic():
            batch = PayoutBatch.objects.create(
                **scope,
                source=source,
                prepared_by=prepared_by,
                rows_total=len(items),
                rejected=[r.as_dict() for r in rejected],
            )
            _items_create(batch, accepted)
            event_record(obj=batch, type="payout_batch.created", sequence=1)
    except IntegrityError:
        # Sent twice at once: the other request's batch (or an item reference it took).
        if existing := PayoutBatch.objects.filter(**scope).first():
            return existing, False
        raise
    return batch, True


def _items_create(batch: PayoutBatch, rows: list[PayoutRow]) -> None:
    recipients = _recipients_ensure(batch, rows)
    PayoutItem.objects.bulk_create(
        [
            PayoutItem(
                batch=batch,
                merchant_id=batch.merchant_id,
                livemode=batch.livemode,
                recipient=recipients[row.iban, row.currency],
                row=row.row,
                reference=row.reference,
                amount=row.amount,
                currency=row.currency,
            )
            for row in rows
        ],
        batch_size=1000,
    )


def _recipients_ensure(batch: PayoutBatch, rows: list[PayoutRow]) -> dict:
    """The recipient of each (IBAN, currency): existing ones, the others created (3 queries)."""
    scope = {"merchant_id": batch.merchant_id, "livemode": batch.livemode}
    first = {}
    for row in rows:
        first.setdefault((row.iban, row.currency), row)
    Recipient.objects.bulk_create(
        [
            Recipient(
                **scope,
                name=row.name,
                iban=row.iban,
                bic=row.bic,
                country=row.country,
                currency=row.currency,
            )
            for row in first.values()
        ],
        ignore_conflicts=True,
        batch_size=1000,
    )
    found = Recipient.objects.filter(**scope, iban__in={iban for iban, _ in first})
    return {(r.iban, r.currency): r for r in found}


def _batch_lock(batch_pk: int) -> PayoutBatch:
    return PayoutBatch.objects.select_for_update().select_related("merchant").get(pk=batch_pk)


def payout_batch_approve(*, batch: PayoutBatch, user) -> PayoutBatch:
    """Approve a batch (``user`` is never its preparer) and hold its total from the balance.

    Raise ``SamePerson``, ``InvalidTransition`` (not awaiting approval) or
    ``InsufficientBalance`` (the balance no longer covers a currency's total); nothing changes.
    """
    with transaction.atomic():
        # The merchant first (one approval at a time per merchant: the balance read below stays
        # true until the hold is posted), then the batch.
        Merchant.objects.select_for_update().filter(pk=batch.merchant_id).first()
        batch = _batch_lock(batch.pk)
        if batch.prepared_by_id is not None and batch.prepared_by_id == user.pk:
            raise SamePerson("You prepared this batch: another person must approve it.")
        transition_check(batch.approve, f"A batch that is {batch.status} cannot be approved.")
        totals = payout_batch_summary(batch=batch)["totals"]
        available = payout_balances_available(merchant=batch.merchant)
        short = {c: t - available.get(c, 0) for c, t in totals.items() if t > available.get(c, 0)}
        if short:
            shown = ", ".join(f"{c} {n} minor units" for c, n in sorted(short.items()))
            raise InsufficientBalance(f"The available balance is short by {shown}.")
        ledger_batch_hold(batch=batch, totals=totals)
        transition_run(batch.approve)
        batch.approved_by, batch.approved_at = user, timezone.now()
        batch.save(update_fields=["status", "approved_by", "approved_at", "updated"])
        event_record(obj=batch, type="payout_batch.approved")
    return batch


def _items_move(batch: PayoutBatch, transition: str, **fields) -> int:
    """Run ``transition`` on every item of the batch that allows it (locked; one UPDATE per
    1,000 items); return how many moved."""
    now = timezone.now()
    moved = []
    for item in PayoutItem.objects.select_for_update().filter(batch=batch).order_by("pk"):
        method = getattr(item, transition)
        if can_proceed(method):
            method()
            item.updated = now
            for name, value in fields.items():
                setattr(item, name, value)
            moved.append(item)
    PayoutItem.objects.bulk_update(moved, ["status", "updated", *fields], batch_size=1000)
    return len(moved)


def payout_batch_cancel(*, batch: PayoutBatch) -> PayoutBatch:
    """Cancel a batch not yet approved: its items fail (``batch_canceled``); nothing was held."""
    with transaction.atomic():
        batch = _batch_lock(batch.pk)
        transition_run(batch.cancel, f"A batch that is {batch.status} cannot be canceled.")
        batch.save(update_fields=["status", "updated"])
        _items_move(
            batch,
            "fail",
            failure_code="batch_canceled",
            failure_message="The batch was canceled before approval.",
        )
        event_record(obj=batch, type="payout_batch.canceled")
    return batch


def payout_batch_submit(*, batch: PayoutBatch) -> PayoutBatch:
    """Send an approved batch to the bank: its items go ``processing``. Again: no change."""
    with transaction.atomic():
        batch = _batch_lock(batch.pk)
        if batch.status == PayoutBatch.Status.PROCESSING:
            return batch
        transition_run(batch.submit, f"A batch that is {batch.status} cannot be sent.")
        batch.exported_at = timezone.now()
        batch.save(update_fields=["status", "exported_at", "updated"])
        _items_move(batch, "process")
        event_record(obj=batch, type="payout_batch.processing")
    return batch
