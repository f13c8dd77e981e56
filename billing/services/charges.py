"""Charging an invoice with the subscription's saved card, off-session, once per attempt.

An attempt runs in three steps, like a payment (``payments.services.payments``):
1. under the subscription's row lock, ``attempt_open`` writes a ``ChargeAttempt`` whose
   ``idempotency_key`` is ``<invoice id>:attempt-<n>``;
2. outside any lock, ``charge_attempt_run`` creates the order that key names (an order's
   reference is unique per merchant: a second worker's INSERT fails and it backs off) and pays
   it with the saved card, merchant-initiated;
3. ``charge_attempt_apply`` applies the outcome once, under the locks: the invoice is paid, or
   dunning decides the next attempt from the decline (``billing.dunning``).
A worker that dies between the steps leaves the attempt ``pending``; ``charge_attempts_recover``
finds it and finishes it from its order, so a period is never charged twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import Count, Min

from payments.errors import DomainError, ValidationFailed
from payments.models import Order, Payment
from payments.services import order_cancel
from payments.services.recurring import ChargeResult, SavedCharge, saved_charges_run

from ..conf import setting
from ..models import ChargeAttempt, Invoice, Subscription
from .dunning_steps import attempt_failed, attempt_succeeded
from .lifecycle import subscription_lock

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    succeeded: bool
    decline_code: str = ""
    payment_id: str = ""


def card_attempts_cap_until(*, merchant_id: int, fingerprint: str, now: datetime):
    """Return when the card may be charged again if it reached its cap, else None."""
    window = setting("BILLING_CARD_ATTEMPTS_WINDOW")
    recent = ChargeAttempt.objects.filter(
        merchant_id=merchant_id, card_fingerprint=fingerprint, attempted_at__gt=now - window
    )
    if recent.count() < setting("BILLING_CARD_ATTEMPTS_MAX"):
        return None
    return recent.aggregate(first=Min("attempted_at"))["first"] + window


def card_attempts_counts(*, merchant_id: int, fingerprints, now: datetime) -> dict[str, int]:
    """Return the attempts of each card in the cap's window (one grouped query)."""
    window = setting("BILLING_CARD_ATTEMPTS_WINDOW")
    rows = (
        ChargeAttempt.objects.filter(
            merchant_id=merchant_id,
            card_fingerprint__in=set(fingerprints),
            attempted_at__gt=now - window,
        )
        .values("card_fingerprint")
        .annotate(n=Count("pk"))
        .values_list("card_fingerprint", "n")
    )
    return dict(rows)


def attempt_build(*, subscription: Subscription, invoice: Invoice, now: datetime) -> ChargeAttempt:
    """The invoice's next attempt with the subscription's card, not saved; the invoice counts
    it (in memory)."""
    method = subscription.payment_method
    number = invoice.attempt_count + 1
    attempt = ChargeAttempt(
        merchant_id=subscription.merchant_id,
        livemode=subscription.livemode,
        invoice=invoice,
        subscription=subscription,
        payment_method=method,
        card_fingerprint=method.fingerprint,
        number=number,
        idempotency_key=f"{invoice.public_id}:attempt-{number}",
        amount=invoice.amount_remaining,
        currency=invoice.currency,
        attempted_at=now,
    )
    invoice.attempt_count = number
    invoice.next_payment_attempt = None
    return attempt


def attempt_open(
    *, subscription: Subscription, invoice: Invoice, now: datetime
) -> ChargeAttempt | None:
    """Write the next attempt to charge the open ``invoice`` (both rows locked by the caller).

    Return None when no charge can be made now: no usable card (dunning waits for one) or the
    card's cap is reached (``next_payment_attempt`` is moved to when it is not).
    """
    method = subscription.payment_method
    if method is None or method.detached_at is not None:
        attempt_failed(
            subscription=subscription, invoice=invoice, attempt=None,
            code="payment_method_missing", now=now,
        )  # fmt: skip
        return None
    until = card_attempts_cap_until(
        merchant_id=subscription.merchant_id, fingerprint=method.fingerprint, now=now
    )
    if until is not None:
        invoice.next_payment_attempt = until
        invoice.save(update_fields=["next_payment_attempt", "updated"])
        return None
    attempt = attempt_build(subscription=subscription, invoice=invoice, now=now)
    attempt.save(force_insert=True)
    invoice.save(update_fields=["attempt_count", "next_payment_attempt", "updated"])
    return attempt


def charge_attempt_run(
    *, now: datetime, attempt_pk: int | None = None, attempt: ChargeAttempt | None = None
) -> ChargeAttempt:
    """Charge a pending attempt once and apply the outcome; return the attempt.

    ``attempt`` is one ``attempt_open`` just returned (its subscription, invoice and method in
    hand, committed): it is charged without being read again. Else it is read by ``attempt_pk``.
    """
    if attempt is None:
        attempt = ChargeAttempt.objects.select_related(
            "invoice", "payment_method", "subscription__merchant", "subscription__customer",
            "subscription__price",
        ).get(pk=attempt_pk)  # fmt: skip
    if attempt.status != ChargeAttempt.Status.PENDING:
        return attempt
    [result] = saved_charges_run([saved_charge_of(attempt)])
    return charge_result_apply(attempt=attempt, result=result, now=now)


def saved_charge_of(attempt: ChargeAttempt) -> SavedCharge:
    """The charge that pays a pending attempt (its subscription with merchant, price and
    customer, its invoice and method in hand)."""
    subscription = attempt.subscription
    return SavedCharge(
        merchant=subscription.merchant,
        livemode=attempt.livemode,
        method_id=attempt.payment_method.public_id,
        order={
            "amount": attempt.amount,
            "currency": attempt.currency,
            "reference": attempt.idempotency_key,
            "description": f"{subscription.price.product_name}: invoice {attempt.invoice.number}",
            "customer_email": subscription.customer.email,
            "metadata": {
                "subscription": subscription.public_id,
                "invoice": attempt.invoice.public_id,
                "charge_attempt": attempt.public_id,
            },
        },
    )


def charge_result_apply(
    *, attempt: ChargeAttempt, result: ChargeResult, now: datetime
) -> ChargeAttempt:
    """Apply a charge's result to its attempt, one by one (dunning on a failure)."""
    if charge_taken(result):
        # Another worker holds this attempt's order: it charges, the recovery applies.
        logger.info("charge %s already taken by another worker", attempt.idempotency_key)
        return attempt
    outcome = charge_outcome(result)
    if outcome is None:
        return attempt  # outcome unknown for now: the recovery reads the order later
    return charge_attempt_apply(
        attempt_pk=attempt.pk, outcome=outcome, now=now,
        order=result.payment.order if result.payment else None,
        subscription_pk=attempt.subscription_id,
    )  # fmt: skip


def charge_taken(result: ChargeResult) -> bool:
    err = result.error
    return isinstance(err, ValidationFailed) and any(e.code == "duplicate" for e in err.errors)


def charge_outcome(result: ChargeResult) -> Outcome | None:
    """Return what a charge's result means for its attempt; None while it is not final."""
    err = result.error
    if isinstance(err, ValidationFailed):
        code = (err.errors[0].code if err.errors else "") or "processing_error"
        return Outcome(False, "payment_method_missing" if code == "resource_missing" else code)
    if err is not None:
        return Outcome(False, "processing_error")
    return outcome_of(result.payment)


def outcome_of(payment: Payment) -> Outcome | None:
    """Return what a payment's state means for the attempt; None while it is not final."""
    if payment.status in (Payment.Status.CAPTURED, Payment.Status.AUTHORIZED):
        # Authorized and not captured is rare (capture failed and is retried by payments):
        # the money is held for the merchant either way.
        return Outcome(True, payment_id=payment.public_id)
    if payment.status == Payment.Status.DECLINED:
        return Outcome(False, payment.decline_code or "card_declined", payment.public_id)
    if payment.status == Payment.Status.REQUIRES_ACTION:
        # Nobody is there to answer an OTP off-session: the holder must pay or give a card.
        return Outcome(False, "authentication_required", payment.public_id)
    if payment.status in (Payment.Status.CANCELED, Payment.Status.EXPIRED):
        return Outcome(False, "processing_error", payment.public_id)
    return None


APPLIED_FIELDS = ["status", "decline_code", "finished_at", "payment_id_public", "order_id_public"]


def _invoice_locked(invoice_pk: int, subscription: Subscription) -> Invoice:
    """Lock the attempt's invoice, with its lines and the customer the caller holds."""
    invoice = Invoice.objects.select_for_update().prefetch_related("lines").get(pk=invoice_pk)
    invoice.subscription, invoice.customer = subscription, subscription.customer
    return invoice


def charge_attempt_apply(
    *,
    attempt_pk: int,
    outcome: Outcome,
    now: datetime,
    order: Order | None = None,
    subscription_pk: int | None = None,
) -> ChargeAttempt:
    """Apply an attempt's outcome exactly once (a second call changes nothing).

    ``subscription_pk`` is the attempt's subscription when the caller knows it (saves a read).
    """
    with transaction.atomic():
        if subscription_pk is None:
            subscription_pk = ChargeAttempt.objects.values_list("subscription_id", flat=True).get(
                pk=attempt_pk
            )
        subscription = subscription_lock(subscription_pk)
        attempt = ChargeAttempt.objects.select_for_update().get(pk=attempt_pk)
        if attempt.status != ChargeAttempt.Status.PENDING:
            return attempt
        attempt.subscription = subscription
        invoice = _invoice_locked(attempt.invoice_id, subscription)
        attempt.invoice = invoice
        attempt.finished_at = now
        attempt.payment_id_public = outcome.payment_id
        attempt.order_id_public = order.public_id if order else attempt.order_id_public
        if outcome.succeeded:
            attempt.status = ChargeAttempt.Status.SUCCEEDED
            attempt.save(update_fields=APPLIED_FIELDS)
            attempt_succeeded(subscription=subscription, invoice=invoice, attempt=attempt, now=now)
        else:
            attempt.status = ChargeAttempt.Status.FAILED
            attempt.decline_code = outcome.decline_code
            attempt.save(update_fields=APPLIED_FIELDS)
            attempt_failed(
                subscription=subscription, invoice=invoice, attempt=attempt,
                code=outcome.decline_code, now=now,
            )  # fmt: skip
    return attempt


def charge_attempts_recover(*, now: datetime, clock=None, wall_now: datetime | None = None) -> int:
    """Finish attempts left ``pending`` longer than ``BILLING_ATTEMPT_STALE_AFTER``.

    For the customers of ``clock`` (billing time ``now``, staleness by ``wall_now``), else for
    those on the wall clock. An attempt without an order is charged now (the order's unique reference still lets only
    one worker do it); one with an order takes that order's outcome; an order left without a
    payment is canceled and the attempt fails ``processing_error``. Return how many were done.
    """
    stale = (wall_now or now) - setting("BILLING_ATTEMPT_STALE_AFTER")
    scope = (
        {"subscription__customer__test_clock": clock}
        if clock
        else {"subscription__customer__test_clock__isnull": True}
    )
    pending = ChargeAttempt.objects.filter(
        status=ChargeAttempt.Status.PENDING, created__lt=stale, **scope
    ).values_list("pk", "merchant_id", "idempotency_key")
    done = 0
    for pk, merchant_id, key in list(pending[: setting("BILLING_SWEEP_BATCH")]):
        order = Order.objects.filter(merchant_id=merchant_id, reference=key).first()
        if order is None:
            charge_attempt_run(attempt_pk=pk, now=now)
            done += 1
            continue
        payment = order.payments.order_by("-created", "-id").first()
        outcome = outcome_of(payment) if payment else None
        if payment is None and order.created < stale:
            try:
                order_cancel(order=order)
            except DomainError:
                continue  # paid or moving meanwhile: the next sweep reads it again
            outcome = Outcome(False, "processing_error")
        if outcome is not None:
            charge_attempt_apply(attempt_pk=pk, outcome=outcome, now=now, order=order)
            done += 1
    return done
