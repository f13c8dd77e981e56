"""Payments: validate, route, authorize (with OTP when asked), capture, cancel, expire, reconcile.

Authorization runs in three steps so that nothing is half-written and no shopper is charged
without a paid order:
1. one transaction opens the payment (``processing``) and an attempt whose id is the idempotent
   reference sent to the institution;
2. the institution is called outside any lock;
3. one transaction applies the answer under the order and payment row locks.
If step 2 times out, the attempt stays ``unknown`` and ``attempts_reconcile`` asks the institution
by that reference later, then completes the payment or releases the hold.
Capture, void and refund call the (in-process) institution under the payment lock, which makes
competing operations on one payment strictly serial.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_fsm import can_proceed

from institutions.connector import (
    AuthorizationRequest,
    AuthorizationResult,
    ConnectorError,
    ConnectorTimeout,
    Decision,
    MethodDetails,
)

from .. import locks
from ..errors import (
    InstitutionUnavailable,
    NotFound,
    OrderNotPayable,
    PaymentInProgress,
    ValidationFailed,
)
from ..models import Merchant, Order, Payment, PaymentAttempt
from ..money import exponent
from ..routing import connector_for, route_payment
from ..transitions import transition_check, transition_run
from ..validation import FieldError, mask_pan, validate_amount, validate_card, validate_wallet
from ..vault import card_reveal, card_store
from .events import event_record
from .ledger_entries import ledger_capture

logger = logging.getLogger(__name__)

Outcome = PaymentAttempt.Outcome


@dataclass(frozen=True)
class MethodInput:
    """What a shopper or merchant server submitted; the CVC lives only in this object."""

    type: str
    number: str = ""
    exp_month: int | str | None = None
    exp_year: int | str | None = None
    cvc: str = field(default="", repr=False)
    holder_name: str = ""
    phone: str = ""

    def __repr__(self) -> str:
        return f"MethodInput(type={self.type!r})"


# --- creating and authorizing ------------------------------------------------------------------


def payment_create(*, order: Order, method: MethodInput) -> Payment:
    """Validate, route and authorize a payment for ``order``; return it in its resulting state.

    A decline is a normal outcome (status ``declined`` with ``decline_code``). Invalid input raises
    ``ValidationFailed`` before anything is stored or sent.
    """
    errors: list[FieldError] = []
    card = phone = None
    if method.type not in Payment.Method.values:
        errors.append(
            FieldError(
                "payment_method.type",
                "invalid_choice",
                "Payment method is card, wallet or bank_transfer.",
            )
        )
    else:
        errors += validate_amount(amount=order.amount, currency=order.currency, method=method.type)
    if method.type == Payment.Method.CARD:
        card, card_errors = validate_card(
            number=method.number,
            exp_month=method.exp_month,
            exp_year=method.exp_year,
            cvc=method.cvc,
            holder_name=method.holder_name,
        )
        errors += card_errors
    elif method.type == Payment.Method.WALLET:
        phone, wallet_errors = validate_wallet(phone=method.phone)
        errors += wallet_errors
    if errors:
        raise ValidationFailed(errors)

    route = route_payment(method_type=method.type, card_brand=card.brand if card else None)
    payment, attempt = _payment_open(
        order=order, method=method, card=card, phone=phone, route=route
    )
    details = MethodDetails(
        type=method.type,
        card_number=card.number if card else "",
        exp_month=card.exp_month if card else 0,
        exp_year=card.exp_year if card else 0,
        cvc=card.cvc if card else "",
        holder_name=card.holder_name if card else "",
        wallet_phone=phone or "",
    )
    return _authorization_send(payment=payment, attempt=attempt, details=details)


def _payment_open(
    *, order: Order, method: MethodInput, card, phone, route
) -> tuple[Payment, PaymentAttempt]:
    try:
        merchant = order.merchant  # the caller's order comes with it; the locked row does not
        with transaction.atomic():
            order = locks.order_lock(order_pk=order.pk)
            _ensure_payable(order)
            # A payment already in flight is refused by the partial unique index
            # ``one_active_payment_per_order`` at the INSERT below (IntegrityError), under the
            # order lock just as a check here would, without a query on the happy path.
            payment = Payment(
                order=order,
                merchant=merchant,
                livemode=order.livemode,
                amount=order.amount,
                currency=order.currency,
                capture_method=order.capture_method,
                method_type=method.type,
                institution=route.institution,
            )
            masked = ""
            if card:
                payment.card = card_store(
                    pan=card.number,
                    brand=card.brand,
                    exp_month=card.exp_month,
                    exp_year=card.exp_year,
                )
                payment.card_brand, payment.card_last4 = card.brand, card.last4
                payment.card_exp_month, payment.card_exp_year = card.exp_month, card.exp_year
                masked = mask_pan(card.first6, card.last4, len(card.number))
            elif phone:
                payment.wallet_phone = phone
                masked = "•" * (len(phone) - 4) + phone[-4:]
            transition_run(payment.start)
            payment.save()
            attempt = PaymentAttempt.objects.create(
                payment=payment,
                method_type=method.type,
                masked_details=masked,
                institution=route.institution,
            )
            event_record(obj=payment, type="payment.created", sequence=1)
    except IntegrityError:
        # The partial unique index caught a concurrent submit the check above could not see.
        raise PaymentInProgress() from None
    return payment, attempt


def _ensure_payable(order: Order) -> None:
    if not can_proceed(order.pay):
        raise OrderNotPayable(f"This order is {order.status.replace('_', ' ')}.")
    if order.expires_at <= timezone.now():
        raise OrderNotPayable("This order has expired.")


def _authorization_send(
    *, payment: Payment, attempt: PaymentAttempt, details: MethodDetails
) -> Payment:
    request = AuthorizationRequest(
        reference=attempt.public_id,
        amount=payment.amount,
        currency=payment.currency,
        currency_exponent=exponent(payment.currency),
        method=details,
        livemode=payment.livemode,
        authenticated=attempt.authenticated,
        description=payment.order.reference,
        merchant_id=payment.merchant.public_id,
        merchant_name=payment.merchant.name,
    )
    try:
        result = connector_for(payment.institution).authorize(request)
    except ConnectorTimeout:
        logger.warning("authorization %s timed out; outcome unknown", attempt.public_id)
        _attempt_mark_unknown(
            attempt_pk=attempt.pk, message="The institution did not answer in time."
        )
        return Payment.objects.get(pk=payment.pk)
    except ConnectorError as err:
        # The institution refused to act at all: nothing is held, the shopper may retry.
        result = AuthorizationResult(
            decision=Decision.DECLINED, decline_code=err.code, message=err.message
        )
        return authorization_apply(
            payment_pk=payment.pk,
            attempt_pk=attempt.pk,
            result=result,
            error=True,
            order_pk=payment.order_id,
        )
    except Exception:
        # An unexpected failure may have happened after the institution acted: never guess.
        logger.exception("authorization %s failed unexpectedly; outcome unknown", attempt.public_id)
        _attempt_mark_unknown(attempt_pk=attempt.pk, message="Unexpected error; being reconciled.")
        return Payment.objects.get(pk=payment.pk)
    return authorization_apply(
        payment_pk=payment.pk, attempt_pk=attempt.pk, result=result, order_pk=payment.order_id
    )


def _attempt_mark_unknown(*, attempt_pk: int, message: str) -> None:
    PaymentAttempt.objects.filter(pk=attempt_pk, outcome=Outcome.PENDING).update(
        outcome=Outcome.UNKNOWN, message=message[:200]
    )


@transaction.atomic
def authorization_apply(
    *,
    payment_pk: int,
    attempt_pk: int,
    result: AuthorizationResult,
    error: bool = False,
    order_pk: int | None = None,
) -> Payment:
    """Apply an institution's answer to an attempt exactly once; return the payment.

    ``order_pk`` (the payment's order, which never changes) saves looking it up before locking.
    """
    from .otp import otp_challenge_start

    if order_pk is None:
        order_pk = locks.order_pk_of(payment_pk=payment_pk)
    order = locks.order_lock(order_pk=order_pk)
    attempt = locks.attempt_with_payment(attempt_pk=attempt_pk)
    payment = attempt.payment
    if payment.pk != payment_pk:
        raise ValueError(f"Attempt {attempt_pk} is not an attempt of payment {payment_pk}.")
    payment.order = order  # the locked row: the event snapshots read it, not the database
    if attempt.outcome not in (Outcome.PENDING, Outcome.UNKNOWN, Outcome.AWAITING_TRANSFER):
        return payment  # already applied: a second delivery of the same answer changes nothing
    now = timezone.now()
    attempt.finished_at = now
    attempt.institution_reference = result.institution_reference or attempt.institution_reference
    attempt.decline_code, attempt.message = result.decline_code, result.message[:200]

    if not can_proceed(payment.authorize):
        # Every answer applies to a payment in ``processing``, the source of ``authorize``. This
        # one moved on (canceled, expired) while the answer was out: release any hold.
        if result.decision == Decision.APPROVED and result.institution_reference:
            connector_for(payment.institution).void(
                reference=f"{attempt.public_id}:release",
                institution_reference=result.institution_reference,
            )
        attempt.outcome = (
            Outcome.DECLINED if result.decision == Decision.DECLINED else Outcome.ERROR
        )
        attempt.message = f"Arrived after the payment was {payment.status}; released."
        attempt.save()
        return payment

    if result.decision == Decision.APPROVED:
        attempt.outcome = Outcome.APPROVED
        attempt.save()
        payment.institution_reference = result.institution_reference
        payment.amount_authorized = payment.amount
        payment.authorized_at = now
        payment.authorization_expires_at = now + settings.PAYMENTS_AUTHORIZATION_TTL
        transition_run(payment.authorize)
        event_record(obj=payment, type="payment.authorized")
        # Money already received (bank transfer) is always captured at once; the capture saves
        # the payment (one UPDATE), or it is saved authorized here.
        if (
            payment.capture_method == Order.CaptureMethod.AUTOMATIC
            or payment.method_type == Payment.Method.BANK_TRANSFER
        ):
            try:
                _capture_locked(order=order, payment=payment, amount=payment.amount)
            except InstitutionUnavailable:
                payment.save()
                logger.warning("automatic capture of %s failed; left authorized", payment.public_id)
        else:
            payment.save()
    elif result.decision == Decision.DECLINED:
        attempt.outcome = Outcome.ERROR if error else Outcome.DECLINED
        attempt.save()
        payment.decline_code = result.decline_code or "card_declined"
        payment.decline_message = result.message[:200]
        transition_run(payment.decline)
        payment.save()
        event_record(obj=payment, type="payment.declined")
    elif result.decision == Decision.CHALLENGE:
        attempt.outcome = Outcome.CHALLENGE
        attempt.save()
        transition_run(payment.require_action)
        payment.save()
        otp_challenge_start(payment=payment, challenge=result.challenge)
        event_record(obj=payment, type="payment.requires_action")
    elif result.decision == Decision.PENDING:
        attempt.outcome = Outcome.AWAITING_TRANSFER
        attempt.save()
        transfer = result.transfer
        payment.institution_reference = result.institution_reference
        payment.transfer = {
            "bank_name": transfer.bank_name,
            "account_number": transfer.account_number,
            "reference": transfer.reference,
            "amount": transfer.amount,
            "currency": transfer.currency,
            "expires_at": transfer.expires_at.isoformat().replace("+00:00", "Z"),
        }
        payment.save()
        event_record(obj=payment, type="payment.awaiting_transfer")
    return payment


def method_details_for_retry(*, payment: Payment) -> MethodDetails:
    """Rebuild what the institution needs after the OTP step (the CVC is gone by design)."""
    if payment.method_type == Payment.Method.CARD:
        return MethodDetails(
            type="card",
            card_number=card_reveal(card=payment.card),
            exp_month=payment.card_exp_month,
            exp_year=payment.card_exp_year,
        )
    return MethodDetails(type=payment.method_type, wallet_phone=payment.wallet_phone)


# --- capture, cancel -------------------------------------------------------------------------


def _capture_locked(*, order: Order, payment: Payment, amount: int) -> Payment:
    """Capture under the order and payment locks."""
    result = connector_for(payment.institution).capture(
        reference=f"{payment.public_id}:capture",
        institution_reference=payment.institution_reference,
        amount=amount,
    )
    if not result.succeeded:
        raise InstitutionUnavailable(result.message or "The institution refused the capture.")
    now = timezone.now()
    payment.amount_captured = amount
    payment.captured_at = now
    transition_run(payment.capture)
    payment.save()
    ledger_capture(payment=payment)
    event_record(obj=payment, type="payment.captured")
    order.paid_at = now
    transition_run(order.pay)
    order.save(update_fields=["status", "paid_at", "updated"])
    event_record(obj=order, type="order.paid")
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
    payment = _locked(merchant=merchant, payment_id=payment_id, livemode=livemode)
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
    return _capture_locked(order=order, payment=payment, amount=amount)


@transaction.atomic
def payment_cancel(
    *, merchant: Merchant | None, payment_id: str, livemode: bool | None = None
) -> Payment:
    """Void an authorization (or abandon a pending transfer or challenge), releasing any hold."""
    payment = _locked(merchant=merchant, payment_id=payment_id, livemode=livemode)
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


def _locked(*, merchant: Merchant | None, payment_id: str, livemode: bool | None) -> Payment:
    if merchant is None:  # platform staff act on any merchant's payment
        pk = Payment.objects.filter(public_id=payment_id).values_list("pk", flat=True).first()
        if pk is None:
            raise NotFound("No such payment.")
        return locks.payment_with_order(payment_pk=pk)[1]
    return locks.payment_for_merchant(merchant=merchant, payment_id=payment_id, livemode=livemode)


# --- expiry and reconciliation (Celery beat) -------------------------------------------------


def _expire_locked(payment: Payment) -> None:
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
            _expire_locked(payment)
            count += 1
    return count


def bank_transfers_expire(*, now: datetime | None = None) -> int:
    """Close bank transfers whose deadline passed without the money; return how many."""
    now = now or timezone.now()
    candidates = Payment.objects.filter(
        status=Payment.Status.PROCESSING, method_type=Payment.Method.BANK_TRANSFER
    ).exclude(transfer={})
    count = 0
    for pk, transfer in list(candidates.values_list("pk", "transfer")[:1000]):
        if datetime.fromisoformat(transfer["expires_at"].replace("Z", "+00:00")) > now:
            continue
        with transaction.atomic():
            _, payment = locks.payment_with_order(payment_pk=pk)
            if not can_proceed(payment.authorize):
                continue  # no longer awaiting the money: it arrived, or the shopper gave up
            _expire_locked(payment)
            count += 1
    return count


def attempts_reconcile(*, now: datetime | None = None) -> int:
    """Ask institutions for attempts whose outcome we do not know; apply what they say.

    No answer recorded at the institution means nothing was done there: the attempt is declined
    ``processing_error`` and the shopper may pay again. Return how many attempts were settled.
    """
    now = now or timezone.now()
    stale = now - settings.PAYMENTS_UNKNOWN_OUTCOME_RECONCILE_AFTER
    attempts = PaymentAttempt.objects.filter(
        outcome__in=[Outcome.PENDING, Outcome.UNKNOWN], started_at__lt=stale
    ) | PaymentAttempt.objects.filter(
        outcome=Outcome.AWAITING_TRANSFER, payment__status=Payment.Status.PROCESSING
    )
    count = 0
    for attempt in list(attempts.select_related("payment")[:1000]):
        try:
            result = connector_for(attempt.institution).lookup(reference=attempt.public_id)
        except ConnectorError:
            logger.warning("lookup of %s failed; will retry", attempt.public_id)
            continue
        if attempt.outcome == Outcome.AWAITING_TRANSFER:
            if result is None or result.decision != Decision.APPROVED:
                continue  # still waiting for the shopper's transfer
        elif result is None:
            result = AuthorizationResult(
                decision=Decision.DECLINED,
                decline_code="processing_error",
                message="The institution has no record of the request; nothing was charged.",
            )
        authorization_apply(payment_pk=attempt.payment_id, attempt_pk=attempt.pk, result=result)
        count += 1
    return count


def bank_transfer_simulate(
    *, transfer_reference: str, amount: int, merchant: Merchant | None = None
) -> Payment:
    """Sandbox: the shopper's transfer arrives at the bank; the payment completes on match.

    With ``merchant``, only that merchant's test-mode transfers can be simulated.
    """
    if (
        merchant is not None
        and not Payment.objects.filter(
            merchant=merchant, livemode=False, transfer__reference=transfer_reference
        ).exists()
    ):
        raise NotFound("No open bank transfer has this reference.")
    connector = connector_for("sandbox_transfer")
    try:
        reference = connector.simulate_incoming_transfer(
            transfer_reference=transfer_reference, amount=amount
        )
    except LookupError:
        raise NotFound("No open bank transfer has this reference.") from None
    except ConnectorError as err:
        raise ValidationFailed([FieldError("amount", err.code, err.message)]) from None
    attempt = PaymentAttempt.objects.filter(public_id=reference).first()
    if attempt is None:
        raise NotFound("No payment is waiting for this transfer.")
    result = connector.lookup(reference=reference)
    if result is None or result.decision != Decision.APPROVED:
        return Payment.objects.get(pk=attempt.payment_id)
    return authorization_apply(payment_pk=attempt.payment_id, attempt_pk=attempt.pk, result=result)
