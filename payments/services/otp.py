"""The OTP challenge: a 6-digit code sent to the holder when the institution asks for it.

Codes come from django-otp's ``random_number_token`` and are kept only as an HMAC; they are valid
for ``PAYMENTS_OTP_TTL``, single use, compared in constant time; django-otp's throttling and
cooldown mixins space out wrong tries and resends. After ``PAYMENTS_OTP_MAX_ATTEMPTS`` wrong codes
the payment is declined ``authentication_failed``; across payments, ``otp_limits`` caps wrong
codes per order and card and codes sent per destination (``authentication_locked``).
"""

from __future__ import annotations

import logging
import math

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from .. import locks
from ..errors import InvalidTransition, OtpError, OtpResendNotAllowed, OtpThrottled
from ..metrics import OTP_VERIFICATIONS
from ..models import OtpChallenge, Payment, PaymentAttempt
from ..representations import object_data
from ..transitions import transition_check, transition_run
from . import otp_limits
from .captures import payment_expire_locked
from .challenges import code_hash, code_send
from .events import event_record
from .payments import authorization_send, method_details_for_retry

logger = logging.getLogger(__name__)


def _seconds_until(moment) -> int:
    return max(1, math.ceil((moment - timezone.now()).total_seconds()))


def _seconds_text(seconds: int) -> str:
    return "1 second" if seconds == 1 else f"{seconds} seconds"


def _locked_challenge(*, payment_pk: int) -> tuple[Payment, OtpChallenge]:
    """Lock a payment waiting for a code and its open challenge (caller holds a transaction)."""
    _, payment = locks.payment_with_order(payment_pk=payment_pk)
    transition_check(payment.resume, "This payment is not waiting for a verification code.")
    challenge = (
        payment.otp_challenges.select_for_update()
        .filter(status=OtpChallenge.Status.PENDING)
        .first()
    )
    if challenge is None:
        raise InvalidTransition("There is no verification in progress; request a new code.")
    return payment, challenge


def otp_verify(*, payment_pk: int, code: str) -> Payment:
    """Check a code; on success resume the authorization and return the payment's new state.

    A wrong code raises ``OtpError`` (with ``attempts_remaining``) after the failure is saved;
    the last allowed wrong code declines the payment, which is returned, not raised. Past the
    order's deadline the payment is expired and returned, as the beat task would have done.
    """
    code = (code or "").strip().replace(" ", "")
    with transaction.atomic():
        payment, challenge = _locked_challenge(payment_pk=payment_pk)
        if payment.order.expires_at <= timezone.now():
            payment_expire_locked(payment)
            OTP_VERIFICATIONS.inc(result="order_expired")
            return payment
        allowed, info = challenge.verify_is_allowed()
        if not allowed:
            OTP_VERIFICATIONS.inc(result="throttled")
            wait = _seconds_until(info["locked_until"])
            raise OtpThrottled(
                f"Too many tries in a row; wait {_seconds_text(wait)}.", retry_after=wait
            )
        # The order's and card's wrong codes so far, locked: tries from other payments of the
        # same card wait here, so no more than the cap are ever checked.
        counters = otp_limits.counters_lock(otp_limits.failure_caps(payment=payment))
        if cap := otp_limits.locked_reached(counters):
            _challenge_locked_out(payment, challenge, cap)
            return payment
        expired, attempt = challenge.valid_until <= timezone.now(), None
        if not expired and _code_matches(challenge, code):
            attempt = challenge_passed(payment, challenge)
        elif not expired and (cap := otp_limits.locked_count(counters)):
            _challenge_locked_out(payment, challenge, cap)
            return payment  # declined: the order's or card's last allowed wrong code
        elif not expired and _challenge_failed(payment, challenge):
            OTP_VERIFICATIONS.inc(result="declined")
            return payment  # declined: the last allowed wrong code
    OTP_VERIFICATIONS.inc(
        result="expired" if expired else "passed" if attempt is not None else "wrong"
    )
    # The institution is asked after the commit: no network call under the payment's lock.
    if attempt is not None:
        details = method_details_for_retry(payment=payment)
        return authorization_send(payment=payment, attempt=attempt, details=details)
    if expired:
        raise OtpError("This code has expired; request a new one.", code="otp_expired")
    left = challenge.attempts_remaining
    err = OtpError(f"That code is not right. {left} {'try' if left == 1 else 'tries'} left.")
    err.attempts_remaining = left
    raise err


def _code_matches(challenge: OtpChallenge, code: str) -> bool:
    return (
        code.isdigit()
        and len(code) == 6
        and constant_time_compare(code_hash(challenge, code), challenge.token_hash)
    )


def challenge_passed(
    payment: Payment, challenge: OtpChallenge, *, method: str = "otp", reference: str = ""
) -> PaymentAttempt:
    """Use the challenge up, resume the payment and return the attempt authenticated by
    ``method`` (``otp``, or ``passkey`` with the credential as ``reference``)."""
    challenge.status = OtpChallenge.Status.VERIFIED
    challenge.token_hash = ""  # single use
    challenge.verified_at = timezone.now()
    challenge.throttle_reset(commit=False)
    challenge.save()
    transition_run(payment.resume)
    payment.authentication_method = method
    payment.save()
    last = payment.attempts.last()
    attempt = PaymentAttempt.objects.create(
        payment=payment,
        method_type=payment.method_type,
        masked_details=last.masked_details if last is not None else "",
        institution=payment.institution,
        authenticated=True,
        authentication_method=method,
        authentication_reference=reference,
    )
    authentication_record(payment=payment, method=method)
    event_record(obj=payment, type="payment.processing")
    return attempt


def authentication_record(*, payment: Payment, method: str) -> None:
    """Record ``payment.authenticated`` with how the holder was verified (caller holds locks)."""
    event_record(
        obj=payment,
        type="payment.authenticated",
        data={**object_data(payment), "authentication_method": method},
    )


def _challenge_failed(payment: Payment, challenge: OtpChallenge) -> bool:
    """Count a wrong code; return True if it was the last allowed and declined the payment."""
    challenge.throttle_increment(commit=False)
    if challenge.attempts_remaining > 0:
        challenge.save()
        return False
    challenge.status = OtpChallenge.Status.FAILED
    challenge.save()
    payment.decline_code = "authentication_failed"
    payment.decline_message = "The verification code was entered wrong too many times."
    transition_run(payment.decline)
    payment.save()
    event_record(obj=payment, type="payment.declined")
    return True


def _challenge_locked_out(payment: Payment, challenge: OtpChallenge, cap) -> None:
    challenge.status = OtpChallenge.Status.FAILED
    challenge.token_hash = ""
    challenge.save()
    otp_limits.payment_lock_out(payment=payment, cap=cap)


@transaction.atomic
def otp_resend(*, payment_pk: int) -> OtpChallenge:
    """Send a fresh code (the previous one stops working); limited in count and frequency."""
    payment, challenge = _locked_challenge(payment_pk=payment_pk)
    if payment.order.expires_at <= timezone.now():
        # The code could no longer pay the order (``otp_verify`` expires the payment instead).
        raise OtpResendNotAllowed("This order has expired; no new code can be sent.")
    first = not challenge.token_hash and challenge.resend_count == 0 and not challenge.verified_at
    if first:
        # No code went out yet (a passkey was offered first): this is the first, not a resend,
        # and it was counted against the destination's cap when the challenge opened.
        code_send(challenge=challenge, payment=payment)
        return challenge
    if challenge.resend_count >= settings.PAYMENTS_OTP_MAX_RESENDS:
        raise OtpResendNotAllowed("No more codes can be sent for this payment.")
    allowed, info = challenge.generate_is_allowed()
    if not allowed:
        wait = _seconds_until(info["next_generation_at"])
        raise OtpResendNotAllowed(
            f"Wait {_seconds_text(wait)} before asking for a new code.", retry_after=wait
        )
    if cap := otp_limits.send_count(payment=payment, destination=challenge.destination):
        raise OtpResendNotAllowed(cap.message)
    challenge.resend_count += 1
    code_send(challenge=challenge, payment=payment)
    return challenge


def otp_challenge_current(*, payment: Payment) -> OtpChallenge | None:
    return payment.otp_challenges.filter(status=OtpChallenge.Status.PENDING).first()
