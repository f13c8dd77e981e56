"""Bank transfers: close those whose deadline passed, and (sandbox) make one arrive."""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django_fsm import can_proceed

from institutions.connector import (
    ConnectorError,
    Decision,
)

from .. import locks
from ..errors import (
    NotFound,
    ValidationFailed,
)
from ..models import Merchant, Payment, PaymentAttempt
from ..routing import connector_for
from ..validation import FieldError
from .captures import payment_expire_locked
from .payments import authorization_apply

logger = logging.getLogger(__name__)

Outcome = PaymentAttempt.Outcome


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
            payment_expire_locked(payment)
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
