"""Verifying the holder of a card saved by API, when its issuer asks for it (OTP).

The method is saved ``requires_action`` and cannot be charged; a 6-digit code goes to the
holder's phone the issuer named. The code is checked like a payment's (``payments.services.otp``):
kept only as an HMAC, valid ``PAYMENTS_OTP_TTL``, single use, compared in constant time,
django-otp's back-off between wrong codes and cooldown between resends, at most
``PAYMENTS_OTP_MAX_ATTEMPTS`` wrong codes and ``PAYMENTS_OTP_MAX_RESENDS`` new codes. The right
code makes the method ``active``; the last wrong one detaches it (save the card again to start
over).
"""

from __future__ import annotations

import hashlib
import hmac
import math

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django_otp.util import random_number_token

from payments.errors import (
    InvalidTransition,
    NotFound,
    OtpError,
    OtpResendNotAllowed,
    OtpThrottled,
)
from payments.models import OutboxMessage
from payments.services import event_record

from ..models import PaymentMethod, PaymentMethodVerification
from .customers import payment_method_detach_locked

Verification = PaymentMethodVerification


def _code_hash(verification: Verification, code: str) -> str:
    key = settings.SECRET_KEY.encode()
    message = f"pm-otp:{verification.method_id}:{code}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def _code_send(verification: Verification, method: PaymentMethod) -> None:
    code = random_number_token(length=6)
    verification.token_hash = _code_hash(verification, code)
    verification.valid_until = timezone.now() + settings.PAYMENTS_OTP_TTL
    verification.cooldown_set(commit=False)
    minutes = int(settings.PAYMENTS_OTP_TTL.total_seconds() // 60)
    body = (
        f"{code} is your code to save your {method.card_brand.title()} card ending "
        f"{method.card_last4} with {method.customer.merchant.name}. It expires in {minutes} "
        "minutes. Never share it."
    )
    verification.message = OutboxMessage.objects.create(
        merchant_id=method.merchant_id,
        livemode=method.livemode,
        channel=verification.channel,
        to=verification.destination,
        # Live codes go to the SMS gateway only; the sandbox keeps them to be read.
        body=body if not method.livemode else body.replace(code, "******"),
    )
    verification.save()


def verification_start(*, method: PaymentMethod, challenge) -> Verification:
    """Open the verification of a method just saved ``requires_action`` and send the first code
    (the caller holds the transaction). ``challenge``: the issuer's answer, where the code goes."""
    verification = Verification(
        method=method,
        channel=challenge.channel,
        destination=challenge.destination,
        masked_destination=challenge.masked_destination,
        valid_until=timezone.now() + settings.PAYMENTS_OTP_TTL,
    )
    _code_send(verification, method)
    return verification


def _locked(method: PaymentMethod) -> tuple[PaymentMethod, Verification]:
    locked = (
        PaymentMethod.objects.select_for_update()
        .select_related("customer__merchant")
        .filter(pk=method.pk, detached_at__isnull=True)
        .first()
    )
    if locked is None:
        raise NotFound("No such payment method.")
    if locked.status != PaymentMethod.Status.REQUIRES_ACTION:
        raise InvalidTransition("This payment method is not waiting for a verification code.")
    verification = Verification.objects.select_for_update().get(method=locked)
    return locked, verification


def _seconds_until(moment) -> int:
    return max(1, math.ceil((moment - timezone.now()).total_seconds()))


def payment_method_verify(*, method: PaymentMethod, code: str) -> PaymentMethod:
    """Check the holder's code; the right one makes the method ``active`` and is returned.

    A wrong code raises ``OtpError`` (with ``attempts_remaining``) after it is counted; the last
    allowed one detaches the method and raises ``OtpError("authentication_failed")``.
    """
    code = (code or "").strip().replace(" ", "")
    with transaction.atomic():
        method, verification = _locked(method)
        allowed, info = verification.verify_is_allowed()
        if not allowed:
            wait = _seconds_until(info["locked_until"])
            raise OtpThrottled(f"Too many tries in a row; wait {wait} s.", retry_after=wait)
        expired = verification.valid_until <= timezone.now()
        matches = (
            not expired
            and code.isdigit()
            and len(code) == 6
            and constant_time_compare(_code_hash(verification, code), verification.token_hash)
        )
        if matches:
            verification.status = Verification.Status.VERIFIED
            verification.token_hash = ""  # single use
            verification.verified_at = timezone.now()
            verification.throttle_reset(commit=False)
            verification.save()
            method.verify()
            method.save(update_fields=["status"])
            event_record(obj=method, type="payment_method.updated")
            return method
        if not expired:
            verification.throttle_increment(commit=False)
            if verification.attempts_remaining == 0:
                verification.status = Verification.Status.FAILED
                verification.token_hash = ""
                payment_method_detach_locked(method, now=timezone.now())
            verification.save()
    if expired:
        raise OtpError("This code has expired; request a new one.", code="otp_expired")
    left = verification.attempts_remaining
    if left == 0:
        raise OtpError(
            "The code was entered wrong too many times: the card was not saved (the method is "
            "detached). Save it again to get a new code.",
            code="authentication_failed",
        )
    err = OtpError(f"That code is not right. {left} {'try' if left == 1 else 'tries'} left.")
    err.attempts_remaining = left
    raise err


@transaction.atomic
def payment_method_verification_resend(*, method: PaymentMethod) -> PaymentMethod:
    """Send the holder a new code (the previous one stops working); limited in count and pace."""
    method, verification = _locked(method)
    if verification.resend_count >= settings.PAYMENTS_OTP_MAX_RESENDS:
        raise OtpResendNotAllowed("No more codes can be sent; save the card again to start over.")
    allowed, info = verification.generate_is_allowed()
    if not allowed:
        wait = _seconds_until(info["next_generation_at"])
        raise OtpResendNotAllowed(f"Wait {wait} s before asking for a new code.", retry_after=wait)
    verification.resend_count += 1
    _code_send(verification, method)
    return method
