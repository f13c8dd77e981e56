"""Bulk charges: validate every row first, then charge each item once, in the background.

The item row is the queue of record. ``charge_item_run`` claims an item (locked, skipping rows
another worker holds), creates its one order in the same transaction, then pays that order with
the saved card as a merchant-initiated charge, outside any lock (the payment core's own
idempotent steps), and records the outcome. A worker killed between those steps leaves the item
``processing``: the sweep claims it again once it is stale and, since the order already has its
payment, records that payment's outcome instead of charging again.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django_fsm import can_proceed

from backoffice.metrics import sweep_found
from backoffice.on_commit import send_on_commit
from payments.errors import DomainError, ValidationFailed
from payments.models import Merchant, Payment
from payments.services import event_record, order_create, payment_create_saved
from payments.transitions import transition_run
from payments.validation import FieldError

from ..models import ChargeBatch, ChargeItem
from ..selectors import saved_methods_for
from ..validation import ChargeRow, charge_rows_check
from .payout_batches import batch_input_errors

SUCCEEDED = (Payment.Status.AUTHORIZED, *Payment.CAPTURED_STATES)
FAILED = (Payment.Status.DECLINED, Payment.Status.CANCELED, Payment.Status.EXPIRED)
CHUNK = 100
#: A claim older than this is a dead worker's: long enough for any institution call to end.
STALE_AFTER = timedelta(minutes=5)


def charge_batch_create(
    *, merchant: Merchant, livemode: bool, reference: str, items: Sequence
) -> tuple[ChargeBatch, bool]:
    """Validate every row and keep the batch ``ready`` (nothing charged); return it and whether
    it was created now. The same reference again returns the existing batch."""
    if errors := batch_input_errors(reference=reference, items=items):
        raise ValidationFailed(errors)
    reference = reference.strip()
    scope = {"merchant": merchant, "livemode": livemode, "reference": reference}
    if existing := ChargeBatch.objects.filter(**scope).first():
        return existing, False
    method_ids = [i.get("payment_method") for i in items if isinstance(i, dict)]
    methods = saved_methods_for(
        merchant=merchant,
        livemode=livemode,
        method_ids={m.strip() for m in method_ids if isinstance(m, str)},
    )
    accepted, rejected = charge_rows_check(items=items, methods=methods)
    if not accepted:
        # No row accepted: nothing is created, and the problem's detail is the first row's.
        raise ValidationFailed([FieldError(r.api_field, r.code, r.message) for r in rejected])
    try:
        with transaction.atomic():
            batch = ChargeBatch.objects.create(
                **scope, rows_total=len(items), rejected=[r.as_dict() for r in rejected]
            )
            ChargeItem.objects.bulk_create([_item(batch, row) for row in accepted], batch_size=1000)
            event_record(obj=batch, type="charge_batch.created", sequence=1)
    except IntegrityError:
        if existing := ChargeBatch.objects.filter(**scope).first():
            return existing, False
        raise
    return batch, True


def _item(batch: ChargeBatch, row: ChargeRow) -> ChargeItem:
    return ChargeItem(
        batch=batch,
        merchant_id=batch.merchant_id,
        livemode=batch.livemode,
        row=row.row,
        reference=row.reference,
        customer_id=row.customer,
        payment_method_id=row.payment_method,
        amount=row.amount,
        currency=row.currency,
    )


def charge_batch_start(*, batch: ChargeBatch) -> ChargeBatch:
    """Start charging a ready batch in the background; starting a running one changes nothing."""
    from ..tasks import charge_batch_run_task

    with transaction.atomic():
        batch = ChargeBatch.objects.select_for_update().get(pk=batch.pk)
        if batch.status != ChargeBatch.Status.READY:
            return batch
        transition_run(batch.start)
        batch.started_at = timezone.now()
        batch.save(update_fields=["status", "started_at", "updated"])
        event_record(obj=batch, type="charge_batch.started")
        send_on_commit(charge_batch_run_task, batch.pk)
    return batch


def _claimable(*, now: datetime):
    """Items a worker may take: pending ones of running batches, and processing ones whose
    claim is older than ``STALE_AFTER`` (their worker died)."""
    stale = now - STALE_AFTER
    running = ChargeItem.objects.filter(batch__status=ChargeBatch.Status.RUNNING)
    return running.filter(status=ChargeItem.Status.PENDING) | running.filter(
        status=ChargeItem.Status.PROCESSING, claimed_at__lt=stale
    )


def _locked(queryset):
    if connection.features.has_select_for_update_skip_locked:
        return queryset.select_for_update(skip_locked=True, of=("self",))
    return queryset.select_for_update()


def _claim(item_pk: int, now: datetime) -> tuple[ChargeItem | None, bool]:
    """Lock the item if it is claimable and no one holds it; give it its order; claim it.
    Return it (None: not claimable) and whether its order was made now (so it has no payment)."""
    with transaction.atomic():
        claimable = _claimable(now=now).filter(pk=item_pk).select_related("merchant", "batch")
        item = _locked(claimable).first()
        if item is None:
            return None, False
        fresh = item.order_id is None
        if fresh:
            item.order = order_create(
                merchant=item.merchant,
                livemode=item.livemode,
                amount=item.amount,
                currency=item.currency,
                reference=item.public_id,
                description=f"Charge batch {item.batch.public_id}: {item.reference}"[:500],
                metadata={"charge_batch": item.batch.public_id, "reference": item.reference},
            )
        if can_proceed(item.claim):
            transition_run(item.claim)
        item.claimed_at = now
        item.save(update_fields=["status", "order", "claimed_at"])
    return item, fresh


def _charge(item: ChargeItem, *, fresh: bool) -> Payment | FieldError:
    """The order's payment: the one it has (a resumed item), else a new merchant-initiated one.
    An order made by this claim (``fresh``) has none yet: it is not looked for."""
    existing = None if fresh else item.order.payments.order_by("-created", "-pk").first()
    if existing is not None:
        return existing
    try:
        return payment_create_saved(
            order=item.order, method_id=item.payment_method_id, merchant_initiated=True
        )
    except ValidationFailed as err:
        first = err.errors[0] if err.errors else None
        return FieldError("payment_method", first.code if first else err.code, err.message)
    except DomainError as err:
        return FieldError("payment_method", err.code, err.message)


def _outcome_code(outcome: Payment | FieldError) -> tuple[str, str] | None:
    """Return the item's failure code and message ("" when it succeeded), None while the
    payment's outcome is unknown (the payment core reconciles it; the sweep comes back)."""
    if isinstance(outcome, FieldError):
        return outcome.code, outcome.message
    if outcome.status in SUCCEEDED:
        return "", ""
    if outcome.status in FAILED:
        return outcome.decline_code or outcome.status, outcome.decline_message
    if outcome.status == Payment.Status.REQUIRES_ACTION:
        return "authentication_required", "The card issuer asked for the customer."
    return None


def _finish(item: ChargeItem, outcome: Payment | FieldError) -> ChargeItem:
    """Record the outcome of the claimed item, with one conditional UPDATE: only if it is still
    ``processing`` (another worker that resumed it after a stale claim may have finished it)."""
    result = _outcome_code(outcome)
    if result is None:
        return item
    code, message = result
    transition_run(item.fail if code else item.succeed)  # checks the transition, in memory
    item.decline_code, item.failure_message = code[:64], (message or "")[:255]
    item.finished_at = timezone.now()
    updated = ChargeItem.objects.filter(pk=item.pk, status=ChargeItem.Status.PROCESSING).update(
        status=item.status,
        decline_code=item.decline_code,
        failure_message=item.failure_message,
        finished_at=item.finished_at,
    )
    return item if updated else ChargeItem.objects.get(pk=item.pk)


def charge_item_run(*, item_pk: int, now: datetime | None = None) -> ChargeItem | None:
    """Charge one item if it is claimable; return it, or None when there was nothing to do."""
    item, fresh = _claim(item_pk, now or timezone.now())
    if item is None:
        return None
    return _finish(item, _charge(item, fresh=fresh))


def charge_batch_run(*, batch_pk: int, now: datetime | None = None) -> int:
    """Charge the claimable items of a batch, a chunk at a time; complete it when none is
    left unfinished. Return how many items this call finished."""
    done = 0
    while True:
        pks = list(
            _claimable(now=now or timezone.now())
            .filter(batch_id=batch_pk)
            .order_by("pk")
            .values_list("pk", flat=True)[:CHUNK]
        )
        finished = [charge_item_run(item_pk=pk, now=now) for pk in pks]
        done += sum(1 for item in finished if item and item.status != ChargeItem.Status.PROCESSING)
        if len(pks) < CHUNK or not any(finished):
            break
    charge_batch_complete_if_done(batch_pk=batch_pk)
    return done


def charge_batch_complete_if_done(*, batch_pk: int) -> bool:
    with transaction.atomic():
        batch = ChargeBatch.objects.select_for_update().get(pk=batch_pk)
        unfinished = [ChargeItem.Status.PENDING, ChargeItem.Status.PROCESSING]
        if not can_proceed(batch.complete) or batch.items.filter(status__in=unfinished).exists():
            return False
        transition_run(batch.complete)
        batch.completed_at = timezone.now()
        batch.save(update_fields=["status", "completed_at", "updated"])
        event_record(obj=batch, type="charge_batch.completed")
    return True


def charge_items_sweep(*, now: datetime | None = None) -> int:
    """Run every running batch's claimable items (lost wake-ups, killed workers)."""
    now = now or timezone.now()
    batch_pks = set(_claimable(now=now).values_list("batch_id", flat=True).distinct())
    running = ChargeBatch.objects.filter(status=ChargeBatch.Status.RUNNING)
    batch_pks |= set(running.values_list("pk", flat=True))
    done = sum(charge_batch_run(batch_pk=pk, now=now) for pk in sorted(batch_pks))
    sweep_found(sweep="charge_items", count=done)
    return done
