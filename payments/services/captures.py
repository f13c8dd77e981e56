"""Captures, cancels and expiries of authorized or waiting payments.

Capture and void call the (in-process) institution under the payment lock, which makes competing
operations on one payment strictly serial.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django_fsm import can_proceed

from .. import locks
from ..errors import (
    InstitutionUnavailable,
    ValidationFailed,
)
from ..models import Merchant, Order, Payment, PaymentAttempt
from ..representations import order_data
from ..routing import connector_for
from ..screening import payment_relations
from ..transitions import transition_check, transition_run
from ..validation import FieldError, validate_amount
from .events import event_batch, event_record
from .fx import capture_conversion
from .ledger_entries import ledger_capture

logger = logging.getLogger(__name__)

Outcome = PaymentAttempt.Outcome


def capture_reference(payment: Payment) -> str:
    """The reference of the payment's capture at its institution (one capture per payment)."""
    return f"{payment.public_id}:capture"


def payment_capture_locked(
    *,
    order: Order,
    payment: Payment,
    amount: int,
    at_institution: bool = False,
    other_payments: bool = True,
) -> Payment:
    """Capture under the order and payment locks; ``at_institution``: the institution captured
    already (with the authorization), only our side is recorded. ``other_payments``: False when
    the caller knows the order has no payment but this one (none is read then)."""
    now = timezone.now()
    # Converted before the institution is asked: a capture that cannot convert takes nothing.
    conversion = capture_conversion(payment=payment, amount=amount, at=now, order=order)
    if not at_institution:
        result = connector_for(payment.institution).capture(
            reference=capture_reference(payment),
            institution_reference=payment.institution_reference,
            amount=amount,
        )
        if not result.succeeded:
            raise InstitutionUnavailable(result.message or "The institution refused the capture.")
    payment.amount_captured = amount
    payment.captured_at = now
    transition_run(payment.capture)
    payment.save()
    ledger_capture(payment=payment, conversion=conversion)
    if not Order.merchant.is_cached(order):
        order.merchant = payment.merchant  # the same row: order.paid renders without a query
    order.paid_at = now
    transition_run(order.pay)
    order.save(update_fields=["status", "paid_at", "updated"])
    # The order's other payments (declined tries) in one query; this one as it stands here.
    others = (
        order.payments.exclude(pk=payment.pk).select_related(*payment_relations())
        if other_payments
        else []
    )
    data = order_data(order, payments=[payment, *others])
    with event_batch():  # payment.captured and order.paid in one INSERT
        event_record(obj=payment, type="payment.captured")
        event_record(obj=order, type="order.paid", data=data)
    return payment


@transaction.atomic
def payment_capture(
    *,
    merchant: Merchant | None,
    payment_id: str,
    amount: int | None = None,
    livemode: bool | None = None,
) -> Payment:
    """Capture all or part of an authorization; the institution releases the rest."""
    payment = locks.payment_in_scope(merchant=merchant, payment_id=payment_id, livemode=livemode)
    transition_check(
        payment.capture,
        f"Only an authorized payment can be captured; this one is {payment.status}.",
    )
    amount = payment.amount_authorized if amount is None else amount
    errors = validate_amount(amount=amount, currency=payment.currency)
    if not errors and amount > payment.amount_authorized:
        errors = [
            FieldError(
                "amount",
                "amount_too_large",
                f"At most the authorized amount ({payment.amount_authorized}) can be captured.",
            )
        ]
    if errors:
        raise ValidationFailed(errors)
    order = payment.order
    return payment_capture_locked(order=order, payment=payment, amount=amount)


@transaction.atomic
def payment_cancel(
    *, merchant: Merchant | None, payment_id: str, livemode: bool | None = None
) -> Payment:
    """Void an authorization (or abandon a pending transfer or challenge), releasing any hold."""
    payment = locks.payment_in_scope(merchant=merchant, payment_id=payment_id, livemode=livemode)
    return _cancel_locked(
        payment, payment.void, f"A payment that is {payment.status} cannot be canceled."
    )


@transaction.atomic
def payment_abandon_by_shopper(*, payment_pk: int) -> Payment:
    """Cancel a payment still waiting for its shopper (a code, a transfer) and return it.

    Anything further along (an authorization is the merchant's to capture or void) raises
    ``InvalidTransition``: a checkout tab left open must not undo what another tab finished.
    """
    _, payment = locks.payment_with_order(payment_pk=payment_pk)
    return _cancel_locked(
        payment, payment.abandon, f"A payment that is {payment.status} cannot be abandoned."
    )


def _cancel_locked(payment: Payment, transition, refusal: str) -> Payment:
    """Release the institution's hold and end the payment by ``transition`` (void or abandon)."""
    transition_check(transition, refusal)
    if payment.institution_reference:
        result = connector_for(payment.institution).void(
            reference=f"{payment.public_id}:void",
            institution_reference=payment.institution_reference,
        )
        if not result.succeeded:
            raise InstitutionUnavailable(result.message or "The institution refused the void.")
    payment.canceled_at = timezone.now()
    transition_run(transition, refusal)
    payment.save()
    payment.otp_challenges.filter(status="pending").update(status="expired")
    event_record(obj=payment, type="payment.canceled")
    return payment


def payment_expire_locked(payment: Payment) -> None:
    """Release what the institution still holds for a payment and mark it expired."""
    if payment.institution_reference:
        connector_for(payment.institution).void(
            reference=f"{payment.public_id}:expire",
            institution_reference=payment.institution_reference,
        )
    transition_run(payment.expire)
    payment.save()
    payment.otp_challenges.filter(status="pending").update(status="expired")
    event_record(obj=payment, type="payment.expired")


def authorizations_expire(*, now: datetime | None = None) -> int:
    """Void authorizations not captured in time; idempotent. Return how many expired."""
    now = now or timezone.now()
    pks = list(
        Payment.objects.filter(
            status=Payment.Status.AUTHORIZED, authorization_expires_at__lt=now
        ).values_list("pk", flat=True)[:1000]
    )
    count = 0
    for pk in pks:
        with transaction.atomic():
            _, payment = locks.payment_with_order(payment_pk=pk)
            # Captured or canceled meanwhile, or given more time: running twice changes nothing.
            if not can_proceed(payment.expire) or payment.authorization_expires_at >= now:
                continue
            payment_expire_locked(payment)
            count += 1
    return count
