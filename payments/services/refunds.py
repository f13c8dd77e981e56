"""Refunds: reserved under the payment lock, sent to the institution by a Celery task."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django_fsm import can_proceed

from backoffice.metrics import sweep_found
from backoffice.on_commit import send_on_commit
from institutions.connector import ConnectorError, ConnectorTimeout

from .. import locks
from ..errors import (
    InvalidTransition,
    NotFound,
    PaymentDisputed,
    RefundAmountInvalid,
    ValidationFailed,
)
from ..metrics import REFUNDS
from ..models import Merchant, Payment, Refund
from ..routing import connector_for
from ..screening import refund_refusal
from ..transitions import transition_run
from ..validation import FieldError
from .events import event_batch, event_record
from .fx import refund_conversion
from .ledger_entries import ledger_refund

logger = logging.getLogger(__name__)

# A refund still pending this long after it was reserved has lost its task (a broker outage at
# commit, a worker gone) or is between retries: ``refunds_sweep`` sends it again.
REFUND_SWEEP_GRACE = timedelta(minutes=10)
REFUND_SWEEP_BATCH = 500


def _enqueue_refund(refund_pk: int) -> None:
    """Send ``refund_process_task`` once the current transaction commits; with the broker
    unreachable, the refund stays pending (its money reserved) and ``refunds_sweep`` sends it."""
    from ..tasks import refund_process_task

    send_on_commit(refund_process_task, refund_pk)


def refunds_reserved(*, payment: Payment) -> int:
    """Return the amount of pending and succeeded refunds of a payment."""
    total = payment.refunds.filter(
        status__in=[Refund.Status.PENDING, Refund.Status.SUCCEEDED]
    ).aggregate(s=Sum("amount"))["s"]
    return total or 0


def refund_check(*, payment: Payment, amount: int | None) -> int:
    """Return the amount a refund of ``payment`` would have: ``amount``, or all that is still
    refundable when it is None.

    Raise ``InvalidTransition`` for a payment whose money was never captured, and
    ``RefundAmountInvalid`` unless the amount is more than 0 and at most what is refundable (the
    amount captured less the refunds pending or made); ``PaymentDisputed`` when a registered
    refund guard refuses (``payments.screening``: an open or lost dispute). ``refund_create`` applies it under the
    payment's lock; the back office asks first, so that a wrong amount costs no one-time code.
    """
    # A payment refunded in full takes no further refund transition; it is answered as a refund
    # beyond what is left (nothing), not as a payment in the wrong state.
    if not can_proceed(payment.refund_partially) and payment.status != Payment.Status.REFUNDED:
        raise InvalidTransition(
            f"Only a captured payment can be refunded; this one is {payment.status}."
        )
    if refusal := refund_refusal(payment=payment):
        raise PaymentDisputed(refusal)
    refundable = payment.amount_captured - refunds_reserved(payment=payment)
    amount = refundable if amount is None else amount
    if isinstance(amount, bool) or not isinstance(amount, int) or not 0 < amount <= refundable:
        raise RefundAmountInvalid(amount=amount, refundable=refundable)
    return amount


@transaction.atomic
def refund_create(
    *,
    merchant: Merchant | None,
    payment_id: str,
    amount: int | None = None,
    reason: str = "",
    created_by=None,
    livemode: bool | None = None,
) -> Refund:
    """Reserve a refund of a captured payment; the institution is asked on commit.

    ``merchant=None`` is for platform staff, who may refund any merchant's payment.
    """
    reason = reason or ""
    if len(reason) > (limit := Refund._meta.get_field("reason").max_length):
        raise ValidationFailed(
            [FieldError("reason", "too_long", f"A reason has at most {limit} characters.")]
        )
    payment = locks.payment_in_scope(merchant=merchant, payment_id=payment_id, livemode=livemode)
    # Checked again under the row lock: two concurrent refunds cannot both pass.
    amount = refund_check(payment=payment, amount=amount)
    refund = Refund.objects.create(
        payment=payment,
        merchant_id=payment.merchant_id,
        livemode=payment.livemode,
        amount=amount,
        currency=payment.currency,
        reason=reason,
        created_by=created_by,
    )
    event_record(obj=refund, type="refund.created")
    _enqueue_refund(refund.pk)
    return refund


def refunds_sweep() -> int:
    """Send again the refunds pending for longer than ``REFUND_SWEEP_GRACE``; return how many.

    ``refund_process`` is safe to run twice and the institution treats a refund's reference
    idempotently, so one sent while its own retry is still queued costs nothing. Rows are
    taken with ``SKIP LOCKED`` (PostgreSQL): a refund a worker is processing right now (its row
    locked by ``refund_process``) or another sweep has taken is left alone.
    """
    cutoff = timezone.now() - REFUND_SWEEP_GRACE
    with transaction.atomic():
        pks = list(
            Refund.objects.select_for_update(skip_locked=True)
            .filter(status=Refund.Status.PENDING, created__lte=cutoff)
            .order_by("created")
            .values_list("pk", flat=True)[:REFUND_SWEEP_BATCH]
        )
        for pk in pks:
            _enqueue_refund(pk)
    if pks:
        logger.warning("refund sweep re-sent %s pending refunds", len(pks))
    sweep_found(sweep="refunds", count=len(pks))
    return len(pks)


@transaction.atomic
def refund_process(*, refund_pk: int) -> Refund:
    """Ask the institution to pay a pending refund back; safe to run twice or concurrently."""
    payment_pk = Refund.objects.filter(pk=refund_pk).values_list("payment_id", flat=True).first()
    if payment_pk is None:
        raise NotFound("No such refund.")
    order, payment = locks.payment_with_order(payment_pk=payment_pk)
    refund = locks.refund_lock(refund_pk=refund_pk)
    if not can_proceed(refund.succeed):
        return refund  # already answered: running twice changes nothing
    try:
        result = connector_for(payment.institution).refund(
            reference=refund.public_id,
            institution_reference=payment.institution_reference,
            amount=refund.amount,
        )
        succeeded, failure = result.succeeded, result.failure_code or "refund_failed"
        refund.institution_reference = result.institution_reference
    except ConnectorTimeout:
        # The institution may have paid it back: stay pending; the task retries under the same
        # reference, which the institution treats idempotently.
        raise
    except ConnectorError as err:
        succeeded, failure = False, err.code
    refund.processed_at = timezone.now()
    if not succeeded:
        refund.failure_code = failure
        transition_run(refund.fail)
        refund.save()
        event_record(obj=refund, type="refund.failed")
        REFUNDS.inc(outcome="failed")
        return refund
    transition_run(refund.succeed)
    refund.save()
    payment.amount_refunded += refund.amount
    full = payment.amount_refunded == payment.amount_captured
    transition_run(payment.refund_fully if full else payment.refund_partially)
    payment.save()
    full_order = full and order.amount == payment.amount_captured
    transition_run(order.refund_fully if full_order else order.refund_partially)
    order.save(update_fields=["status", "updated"])
    ledger_refund(
        refund=refund, conversion=refund_conversion(refund=refund, at=refund.processed_at)
    )
    REFUNDS.inc(outcome="succeeded")
    with event_batch():  # the refund's, the payment's and the order's events in one INSERT
        event_record(obj=refund, type="refund.succeeded")
        event_record(obj=payment, type="payment.refunded" if full else "payment.partially_refunded")
        event_record(obj=order, type="order.refunded" if full_order else "order.partially_refunded")
    return refund
