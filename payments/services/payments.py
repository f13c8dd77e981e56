"""Payments: validate, route and authorize (with OTP when asked); reconcile unknown outcomes.

Authorization runs in three steps so that nothing is half-written and no shopper is charged
without a paid order:
1. one transaction opens the payment (``processing``) and an attempt whose id is the idempotent
   reference sent to the institution;
2. the institution is called outside any lock;
3. one transaction applies the answer under the order and payment row locks.
If step 2 times out, the attempt stays ``unknown`` and ``attempts_reconcile`` asks the institution
by that reference later, then completes the payment or releases the hold.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, OperationalError, transaction
from django.utils import timezone
from django_fsm import can_proceed

from backoffice.metrics import sweep_found
from institutions.connector import (
    AuthorizationRequest,
    AuthorizationResult,
    ConnectorError,
    ConnectorTimeout,
    Decision,
    MethodDetails,
)

from .. import locks, metrics
from ..errors import (
    InstitutionUnavailable,
    OrderNotPayable,
    PaymentInProgress,
    database_busy,
)
from ..models import CardVault, Order, Payment, PaymentAttempt
from ..money import exponent
from ..passkeys import passkeys_for
from ..routing import connector_for
from ..screening import authorization_held, authorization_will_be_held, payment_screen
from ..transitions import transition_run
from ..validation import mask_pan
from ..vault import card_reveal, card_store
from . import otp_limits
from .captures import capture_reference, payment_capture_locked
from .challenges import delegation_of, otp_challenge_start
from .checked import CheckedMethod, MethodInput, method_check
from .dcc import payment_new
from .events import event_batch, event_record
from .fx import capture_converts, payment_fx_check
from .screened import screened_challenge, screened_decline

logger = logging.getLogger(__name__)

Outcome = PaymentAttempt.Outcome
# The columns an institution's answer sets on an attempt: its UPDATE writes only these.
_ANSWERED = ("outcome", "finished_at", "institution_reference", "decline_code", "message")


def payment_create(*, order: Order, method: MethodInput, dcc_quote: str = "") -> Payment:
    """Validate, route and authorize a payment for ``order``; return it in its resulting state.

    ``dcc_quote``: the DCC offer (``fxq_...``) the shopper accepted on the checkout; the card is
    then charged the offer's total in its own currency. A decline is a normal outcome (status
    ``declined`` with ``decline_code``). Invalid input raises ``ValidationFailed`` before
    anything is stored or sent.
    """
    checked = method_check(
        method=method, amount=order.amount, currency=order.currency, livemode=order.livemode
    )
    payment, attempt = _payment_open(order=order, checked=checked, dcc_quote=dcc_quote)
    return _send_opened(payment=payment, attempt=attempt, checked=checked)


def _send_opened(*, payment: Payment, attempt: PaymentAttempt, checked: CheckedMethod) -> Payment:
    if payment.status != Payment.Status.PROCESSING:
        # Refused before the institution (``otp_limits``, screening), or waiting for the OTP
        # code a screener asked for: nothing was sent.
        return payment
    card = checked.card
    details = MethodDetails(
        type=checked.input.type,
        card_number=card.number if card else "",
        exp_month=card.exp_month if card else 0,
        exp_year=card.exp_year if card else 0,
        cvc=card.cvc if card else "",
        holder_name=card.holder_name if card else "",
        wallet_phone=checked.phone or "",
    )
    return authorization_send(payment=payment, attempt=attempt, details=details)


def _payment_open(
    *,
    order: Order,
    checked: CheckedMethod,
    vault: CardVault | None = None,
    dcc_quote: str = "",
    locked: bool = False,
) -> tuple[Payment, PaymentAttempt]:
    """Open the payment and its first attempt; ``vault``: the saved card's row, stored already.

    ``locked``: ``order`` was written in the caller's open transaction, which holds its row.
    """
    method, card, phone, route = checked.input, checked.card, checked.phone, checked.route
    try:
        merchant = order.merchant  # the caller's order comes with it; the locked row does not
        # In the caller's transaction (``locked``) no savepoint: a failure here ends it all.
        with transaction.atomic(savepoint=not locked), event_batch():
            if not locked:
                order = locks.order_lock(order_pk=order.pk)
            _ensure_payable(order)
            payment_fx_check(order=order, merchant=merchant)
            # A payment already in flight is refused by the partial unique index
            # ``one_active_payment_per_order`` at the INSERT below (IntegrityError), under the
            # order lock just as a check here would, without a query on the happy path.
            payment, offer = payment_new(
                order=order,
                merchant=merchant,
                method=method,
                route=route,
                card=card,
                dcc_quote=dcc_quote,
            )
            masked = ""
            if card:
                # A valid number of no known brand is stored and sent: its issuer declines it
                # (``card_not_supported``) as an outcome the shopper and merchant can read.
                payment.card = vault or card_store(
                    pan=card.number,
                    brand=card.brand or "",
                    exp_month=card.exp_month,
                    exp_year=card.exp_year,
                )
                payment.card_brand, payment.card_last4 = card.brand or "", card.last4
                payment.card_exp_month, payment.card_exp_year = card.exp_month, card.exp_year
                masked = mask_pan(card.first6, card.last4, len(card.number))
            elif phone:
                payment.wallet_phone = phone
                masked = "•" * (len(phone) - 4) + phone[-4:]
            transition_run(payment.start)
            payment.save()
            if offer is not None:
                offer.payment = payment
                offer.save(update_fields=["payment"])
            attempt = PaymentAttempt.objects.create(
                payment=payment,
                method_type=method.type,
                masked_details=masked,
                institution=route.institution,
            )
            verdict = payment_screen(payment=payment, order=order, card=card)
            event_record(obj=payment, type="payment.created", sequence=1)
            if verdict.block:
                screened_decline(payment=payment, attempt=attempt, verdict=verdict)
            elif cap := otp_limits.cap_reached(otp_limits.failure_caps(payment=payment)):
                # Too many wrong codes on this order or card: no new tries, no new SMS.
                otp_limits.opened_lock_out(payment=payment, attempt=attempt, cap=cap)
            elif verdict.request_otp:
                screened_challenge(order=order, payment=payment, attempt=attempt)
    except IntegrityError as err:
        # Only the partial unique index means a concurrent submit got in first; any other
        # constraint is a defect, and reporting it as "in progress" would hide it.
        if not _one_active_payment_violated(err):
            raise
        raise PaymentInProgress() from None
    return payment, attempt


_ONE_ACTIVE_PAYMENT = "one_active_payment_per_order"


def _one_active_payment_violated(err: IntegrityError) -> bool:
    """Return True if ``err`` is the ``one_active_payment_per_order`` index refusing a row.

    PostgreSQL names the constraint; SQLite names only the columns of a unique index, and the
    order column is unique on no other index of the payment table.
    """
    diag = getattr(err.__cause__, "diag", None)
    if diag is not None:
        return getattr(diag, "constraint_name", None) == _ONE_ACTIVE_PAYMENT
    column = Payment._meta.get_field("order").column
    return str(err) == f"UNIQUE constraint failed: {Payment._meta.db_table}.{column}"


def _ensure_payable(order: Order) -> None:
    if not can_proceed(order.pay):
        raise OrderNotPayable(f"This order is {order.status.replace('_', ' ')}.")
    if order.expires_at <= timezone.now():
        raise OrderNotPayable("This order has expired.")


def authorization_send(
    *,
    payment: Payment,
    attempt: PaymentAttempt,
    details: MethodDetails,
    merchant_initiated: bool = False,
) -> Payment:
    """Ask the institution to authorize the attempt and apply its answer; return the payment."""
    payment = _authorization_send(
        payment=payment, attempt=attempt, details=details, merchant_initiated=merchant_initiated
    )
    metrics.payment_outcome(payment)
    return payment


def _authorization_send(
    *, payment: Payment, attempt: PaymentAttempt, details: MethodDetails, merchant_initiated: bool
) -> Payment:
    request = authorization_request(
        payment=payment, attempt=attempt, details=details, merchant_initiated=merchant_initiated
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
    return _answer_apply(payment=payment, attempt=attempt, result=result)


def authorization_request(
    *, payment: Payment, attempt: PaymentAttempt, details: MethodDetails, merchant_initiated: bool
) -> AuthorizationRequest:
    """What the institution is asked for the attempt (one place for single and batch sends)."""
    return AuthorizationRequest(
        reference=attempt.public_id,
        amount=payment.amount,
        currency=payment.currency,
        currency_exponent=exponent(payment.currency),
        method=details,
        livemode=payment.livemode,
        authenticated=attempt.authenticated,
        delegated=delegation_of(attempt),
        merchant_initiated=merchant_initiated,
        description=payment.order.reference,
        merchant_id=payment.merchant.public_id,
        merchant_name=payment.merchant.name,
        # Each merchant's test mode has sandbox accounts of its own (live never reaches one).
        sandbox_owner=payment.merchant.public_id,
        capture_reference=capture_reference(payment) if _sale(payment) else "",
    )


def _sale(payment: Payment) -> bool:
    """Ask the capture with the authorization (one call, the institution's books touched once)
    when it would follow at once anyway: automatic capture, no review hold, no conversion."""
    return (
        payment.capture_method == Order.CaptureMethod.AUTOMATIC
        and payment.method_type != Payment.Method.BANK_TRANSFER
        and not authorization_will_be_held(payment=payment)
        and not capture_converts(payment=payment)
    )


def _answer_apply(
    *, payment: Payment, attempt: PaymentAttempt, result: AuthorizationResult
) -> Payment:
    """Apply the institution's answer; if the database is too busy to record it (a held lock, a
    statement timeout), leave the payment ``processing`` for ``attempts_reconcile``.

    The institution has acted by now, so "busy, nothing was done" (503) would be untrue: the
    payment is answered ``processing``, as after an institution timeout, and its outcome is
    applied by the reconciliation shortly after.
    """
    try:
        return authorization_apply(
            payment_pk=payment.pk, attempt_pk=attempt.pk, result=result, order_pk=payment.order_id
        )
    except OperationalError as err:
        if not database_busy(err):
            raise
    logger.warning("answer to %s not recorded, database busy; reconciling", attempt.public_id)
    try:
        _attempt_mark_unknown(
            attempt_pk=attempt.pk, message="The answer could not be recorded; being reconciled."
        )
    except OperationalError as err:
        if not database_busy(err):
            raise  # a pending attempt is reconciled all the same
    return Payment.objects.get(pk=payment.pk)


def _attempt_mark_unknown(*, attempt_pk: int, message: str) -> None:
    PaymentAttempt.objects.filter(pk=attempt_pk, outcome=Outcome.PENDING).update(
        outcome=Outcome.UNKNOWN, message=message[:200]
    )


@transaction.atomic
@event_batch()  # the answer's events (authorized, captured, paid) in one INSERT
def authorization_apply(
    *,
    payment_pk: int,
    attempt_pk: int,
    result: AuthorizationResult,
    error: bool = False,
    order_pk: int | None = None,
) -> Payment:
    """Apply an institution's answer to an attempt exactly once; return the payment.

    ``order_pk``: the payment's order if the caller knows it, checked (the lock finds it).
    """
    # The order, payment and attempt locked and read in one query (the order's row first).
    attempt = locks.attempt_with_order(attempt_pk=attempt_pk)
    payment = attempt.payment
    if payment.pk != payment_pk:
        raise ValueError(f"Attempt {attempt_pk} is not an attempt of payment {payment_pk}.")
    order = payment.order  # the locked row: the event snapshots read it, not the database
    if order_pk is not None and order.pk != order_pk:
        raise ValueError(f"Payment {payment_pk} is not a payment of order {order_pk}.")
    if attempt.outcome not in (Outcome.PENDING, Outcome.UNKNOWN, Outcome.AWAITING_TRANSFER):
        return payment  # already applied: a second delivery of the same answer changes nothing
    attempt.finished_at = timezone.now()
    attempt.institution_reference = result.institution_reference or attempt.institution_reference
    attempt.decline_code, attempt.message = result.decline_code, result.message[:200]
    # Every answer applies to a payment in ``processing``, the source of ``authorize``.
    if not can_proceed(payment.authorize):
        _answer_too_late(payment=payment, attempt=attempt, result=result)
    elif result.decision == Decision.APPROVED:
        _approved(order=order, payment=payment, attempt=attempt, result=result)
    elif result.decision == Decision.DECLINED:
        attempt.outcome = Outcome.ERROR if error else Outcome.DECLINED
        attempt.save(update_fields=_ANSWERED)
        payment.decline_code = result.decline_code or "card_declined"
        payment.decline_message = result.message[:200]
        transition_run(payment.decline)
        payment.save()
        event_record(obj=payment, type="payment.declined")
    elif result.decision == Decision.CHALLENGE:
        attempt.outcome = Outcome.CHALLENGE
        attempt.save(update_fields=_ANSWERED)
        destination = result.challenge.destination if result.challenge else ""
        cap = otp_limits.cap_reached(otp_limits.failure_caps(payment=payment))
        if cap is None:
            cap = otp_limits.send_count(payment=payment, destination=destination)
        if cap is not None:
            otp_limits.payment_lock_out(payment=payment, cap=cap)
            return payment
        transition_run(payment.require_action)
        payment.save()
        # A saved card with passkeys: the passkey is offered first, a code sent only if asked.
        otp_challenge_start(
            payment=payment, challenge=result.challenge, send=not passkeys_for(payment)
        )
        event_record(obj=payment, type="payment.requires_action")
    elif result.decision == Decision.PENDING:
        _awaiting_transfer(payment=payment, attempt=attempt, result=result)
    return payment


def _answer_too_late(
    *, payment: Payment, attempt: PaymentAttempt, result: AuthorizationResult
) -> None:
    """The payment moved on (canceled, expired) while the answer was out: release any hold,
    or give back what a sale captured."""
    if result.decision == Decision.APPROVED and result.institution_reference:
        connector = connector_for(payment.institution)
        if result.captured:
            connector.refund(
                reference=f"{attempt.public_id}:release",
                institution_reference=result.institution_reference,
                amount=result.captured,
            )
        else:
            connector.void(
                reference=f"{attempt.public_id}:release",
                institution_reference=result.institution_reference,
            )
    attempt.outcome = Outcome.DECLINED if result.decision == Decision.DECLINED else Outcome.ERROR
    attempt.message = f"Arrived after the payment was {payment.status}; released."
    attempt.save(update_fields=_ANSWERED)


def _approved(
    *, order: Order, payment: Payment, attempt: PaymentAttempt, result: AuthorizationResult
) -> None:
    attempt.outcome = Outcome.APPROVED
    attempt.save(update_fields=_ANSWERED)
    payment.institution_reference = result.institution_reference
    payment.amount_authorized = payment.amount
    payment.authorized_at = attempt.finished_at
    payment.authorization_expires_at = attempt.finished_at + settings.PAYMENTS_AUTHORIZATION_TTL
    transition_run(payment.authorize)
    # A screener may hold the authorization for review: no automatic capture until released.
    event_record(obj=payment, type="payment.authorized")
    transfer = payment.method_type == Payment.Method.BANK_TRANSFER
    locked = {
        "order": order,
        "payment": payment,
        "other_payments": attempt.order_has_other_payments,
    }
    if result.captured:
        # A sale: the institution captured with the authorization; record that capture.
        payment_capture_locked(**locked, amount=result.captured, at_institution=True)
        return
    held = not transfer and authorization_held(payment=payment)
    # Money already received (bank transfer) is always captured at once; the capture saves the
    # payment (one UPDATE), or it is saved authorized here.
    if transfer or (payment.capture_method == Order.CaptureMethod.AUTOMATIC and not held):
        try:
            payment_capture_locked(**locked, amount=payment.amount)
            return
        except InstitutionUnavailable:
            logger.warning("automatic capture of %s failed; left authorized", payment.public_id)
    payment.save()


def _awaiting_transfer(
    *, payment: Payment, attempt: PaymentAttempt, result: AuthorizationResult
) -> None:
    attempt.outcome = Outcome.AWAITING_TRANSFER
    attempt.save(update_fields=_ANSWERED)
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
        payment = authorization_apply(
            payment_pk=attempt.payment_id, attempt_pk=attempt.pk, result=result
        )
        metrics.payment_outcome(payment)
        count += 1
    sweep_found(sweep="payment_attempts", count=count)
    return count
