"""What ``payment_create`` does with a screener's verdict (``payments.screening``), before routing.

Both run inside the transaction that opened the payment, under the order's row lock.
"""

from __future__ import annotations

from django.utils import timezone

from institutions.connector import Challenge

from ..models import Order, Payment, PaymentAttempt
from ..screening import Verdict
from ..transitions import transition_run
from .challenges import otp_challenge_start
from .events import event_record

Outcome = PaymentAttempt.Outcome


def screened_decline(*, payment: Payment, attempt: PaymentAttempt, verdict: Verdict) -> None:
    """Decline the payment the screener blocked; its attempt is closed unsent."""
    attempt.outcome, attempt.decline_code = Outcome.DECLINED, verdict.decline_code
    attempt.message = verdict.message[:200]
    attempt.finished_at = timezone.now()
    attempt.save()
    payment.decline_code = verdict.decline_code
    payment.decline_message = verdict.message[:200]
    transition_run(payment.decline)
    payment.save()
    event_record(obj=payment, type="payment.declined")


def screened_challenge(*, order: Order, payment: Payment, attempt: PaymentAttempt) -> None:
    """Ask the holder for an OTP code before the institution is asked (``otp_verify`` then sends
    an authenticated attempt). The code goes to the order's e-mail when it has one."""
    attempt.outcome = Outcome.CHALLENGE
    attempt.message = "Verification asked before routing."
    attempt.finished_at = timezone.now()
    attempt.save()
    transition_run(payment.require_action)
    payment.save()
    email = order.customer_email
    challenge = None
    if email:
        name, _, domain = email.partition("@")
        masked = f"{name[:1]}•••@{domain}"
        challenge = Challenge(channel="email", destination=email, masked_destination=masked)
    otp_challenge_start(payment=payment, challenge=challenge)
    event_record(obj=payment, type="payment.requires_action")
