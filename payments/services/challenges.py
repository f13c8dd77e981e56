"""OTP challenges opened for a payment the institution wants verified, and their codes.

Codes come from django-otp's ``random_number_token`` and are kept only as an HMAC. Checking a
code and sending a new one are in ``otp``.
"""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings
from django.utils import timezone
from django_otp.util import random_number_token

from institutions.connector import Challenge, DelegatedAuthentication

from ..models import OtpChallenge, OutboxMessage, Payment, PaymentAttempt
from ..money import format_amount


def code_hash(challenge: OtpChallenge, code: str) -> str:
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, f"otp:{challenge.payment_id}:{code}".encode(), hashlib.sha256).hexdigest()


def code_send(*, challenge: OtpChallenge, payment: Payment) -> None:
    code = random_number_token(length=6)
    challenge.token_hash = code_hash(challenge, code)
    challenge.valid_until = timezone.now() + settings.PAYMENTS_OTP_TTL
    challenge.cooldown_set(commit=False)
    challenge.save()
    minutes = int(settings.PAYMENTS_OTP_TTL.total_seconds() // 60)
    body = (
        f"{code} is your code to approve {format_amount(payment.amount, payment.currency)} "
        f"to {payment.merchant.name}. It expires in {minutes} minutes. Never share it."
    )
    OutboxMessage.objects.create(
        payment=payment,
        merchant_id=payment.merchant_id,
        livemode=payment.livemode,
        channel=challenge.channel,
        to=challenge.destination,
        # Live codes go to the SMS gateway only; the sandbox inbox keeps them to be read.
        body=body if not payment.livemode else body.replace(code, "******"),
    )


def otp_challenge_start(
    *, payment: Payment, challenge: Challenge | None, send: bool = True
) -> OtpChallenge:
    """Open a challenge for a payment entering ``requires_action`` (caller holds the lock).

    ``send=False`` opens it without a code (the holder is offered a passkey first; the first
    code goes out when they ask for one, ``otp_resend``).
    """
    payment.otp_challenges.filter(status=OtpChallenge.Status.PENDING).update(
        status=OtpChallenge.Status.EXPIRED
    )
    destination = challenge.destination if challenge else ""
    masked = challenge.masked_destination if challenge else "your phone"
    otp = OtpChallenge(
        payment=payment,
        channel=challenge.channel if challenge else "sms",
        destination=destination,
        masked_destination=masked,
        valid_until=timezone.now() + settings.PAYMENTS_OTP_TTL,
    )
    otp.save()
    if send:
        code_send(challenge=otp, payment=payment)
    return otp


def delegation_of(attempt: PaymentAttempt) -> DelegatedAuthentication | None:
    """How the holder was verified for ``attempt``, as the institution is told (None if not)."""
    if not attempt.authenticated:
        return None
    return DelegatedAuthentication(
        method=attempt.authentication_method or "otp",
        credential_id=attempt.authentication_reference,
        authenticated_at=attempt.started_at,
    )
