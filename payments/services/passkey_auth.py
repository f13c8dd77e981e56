"""Shoppers verified by a passkey instead of an OTP code (delegated authentication).

When the institution asks to verify the holder of a saved card that has passkeys
(``payments.passkeys``), the payment waits in ``requires_action`` with its OTP challenge open
but no code sent: the checkout offers the passkey first, and ``otp_resend`` sends the first
code only if the shopper asks for one. ``passkey_verify`` checks the assertion
(``backoffice.webauthn``: single-use challenge bound to the payment, origin and RP id, user
verification, a counter that grows), with the same caps as wrong codes (per payment, order and
card); then the authorization is sent again with ``authenticated`` and a
``DelegatedAuthentication`` (method ``passkey``, the credential id, the time), the new attempt
records ``authentication_method = "passkey"`` and ``payment.authenticated`` is recorded.

After an OTP verification of a saved card (or of a card saved by that payment) the shopper may
register a passkey for it (``passkey_register``), within ``REGISTER_WITHIN`` of the payment.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from backoffice.webauthn import (
    WebAuthnRefused,
    assertion_verify,
    authentication_options,
    challenge_consume,
    parse_credential,
    registration_options,
    registration_verify,
)

from ..errors import InvalidTransition
from ..metrics import PASSKEY_VERIFICATIONS
from ..models import OtpChallenge, Payment
from ..passkeys import passkey_store, passkeys_for
from ..transitions import transition_run
from . import otp_limits
from .captures import payment_expire_locked
from .events import event_record
from .otp import (
    _challenge_failed,
    _challenge_locked_out,
    _locked_challenge,
    challenge_passed,
)
from .payments import authorization_send, method_details_for_retry

logger = logging.getLogger(__name__)

PURPOSE = "checkout"
REGISTER_PURPOSE = "checkout-register"
REGISTER_WITHIN = timedelta(minutes=15)
#: Refusals that decline the payment at once: the answer is not the holder's own passkey.
DECLINING = {"passkey_counter_regressed", "passkey_wrong_origin"}


class PasskeyRefused(Exception):
    """A passkey answer refused at the checkout; ``code`` says why (never an API problem)."""

    def __init__(self, message: str, *, code: str) -> None:
        self.message, self.code = message, code
        super().__init__(message)


def passkey_offered(*, payment: Payment) -> bool:
    """Whether the holder of ``payment`` may answer its challenge with a passkey."""
    return payment.status == Payment.Status.REQUIRES_ACTION and bool(passkeys_for(payment))


def passkey_options(*, payment: Payment) -> str:
    """Return the ``navigator.credentials.get()`` options for the payment's passkeys."""
    keys = passkeys_for(payment)
    if payment.status != Payment.Status.REQUIRES_ACTION or not keys:
        raise InvalidTransition("This payment is not waiting for a passkey.")
    return authentication_options(
        purpose=PURPOSE,
        subject=payment.public_id,
        allow=[key.credential_id for key in keys],
    )


def passkey_verify(*, payment_pk: int, token) -> Payment:
    """Check a passkey answer; on success resume the authorization and return the payment.

    A refused answer raises ``PasskeyRefused`` (with its ``code``) after counting as a wrong
    try; one made for another site or whose counter went backwards declines the payment,
    which is returned.
    """
    try:
        credential = parse_credential(token)
    except WebAuthnRefused as exc:
        raise PasskeyRefused(exc.message, code=exc.code) from None
    refused: WebAuthnRefused | None = None
    attempt = None
    with transaction.atomic():
        payment, challenge = _locked_challenge(payment_pk=payment_pk)
        if payment.order.expires_at <= timezone.now():
            payment_expire_locked(payment)
            return payment
        counters = otp_limits.counters_lock(otp_limits.failure_caps(payment=payment))
        if cap := otp_limits.locked_reached(counters):
            _challenge_locked_out(payment, challenge, cap)
            PASSKEY_VERIFICATIONS.inc(result="locked")
            return payment
        keys = {key.credential_id: key for key in passkeys_for(payment)}
        try:
            key = keys.get(credential["id"])
            answered = challenge_consume(
                credential=credential, purpose=PURPOSE, subject=payment.public_id
            )
            if key is None:
                raise WebAuthnRefused(
                    "passkey_unknown", "This passkey is not registered for this card."
                )
            count = assertion_verify(
                credential=credential,
                challenge=answered,
                public_key=key.public_key,
                sign_count=key.sign_count,
            )
        except WebAuthnRefused as exc:
            refused = exc
        if refused is None:
            passkey_store().counter_update(credential_id=key.credential_id, sign_count=count)
            attempt = challenge_passed(
                payment, challenge, method="passkey", reference=key.credential_id
            )
        elif refused.code in DECLINING:
            _declined(payment, challenge, refused)
            PASSKEY_VERIFICATIONS.inc(result="declined")
            return payment
        elif cap := otp_limits.locked_count(counters):
            _challenge_locked_out(payment, challenge, cap)
            PASSKEY_VERIFICATIONS.inc(result="locked")
            return payment
        elif _challenge_failed(payment, challenge):
            PASSKEY_VERIFICATIONS.inc(result="declined")
            return payment
    if refused is not None:
        PASSKEY_VERIFICATIONS.inc(result="refused")
        raise PasskeyRefused(refused.message, code=refused.code)
    PASSKEY_VERIFICATIONS.inc(result="passed")
    # The attempt names the credential: the institution is told (``delegation_of``).
    return authorization_send(
        payment=payment, attempt=attempt, details=method_details_for_retry(payment=payment)
    )


def _declined(payment: Payment, challenge: OtpChallenge, refused: WebAuthnRefused) -> None:
    challenge.status = OtpChallenge.Status.FAILED
    challenge.token_hash = ""
    challenge.save()
    payment.decline_code = refused.code
    payment.decline_message = refused.message[:200]
    transition_run(payment.decline)
    payment.save()
    event_record(obj=payment, type="payment.declined")


# --- registration after an OTP verification ------------------------------------------------


def passkey_registrable(*, payment: Payment) -> bool:
    """Whether the shopper may register a passkey for the card of ``payment`` now: it succeeded
    after an OTP code, its card is saved for the order's customer, and it is recent."""
    store = passkey_store()
    if store is None or not payment.order.customer or payment.card_id is None:
        return False
    if payment.status not in (
        Payment.Status.AUTHORIZED,
        Payment.Status.CAPTURED,
        Payment.Status.PARTIALLY_REFUNDED,
    ):
        return False
    verified = payment.attempts.filter(authentication_method="otp").order_by("-id").first()
    if verified is None or timezone.now() - verified.started_at > REGISTER_WITHIN:
        return False
    return store.card_saved(payment=payment)


def passkey_registration_options(*, payment: Payment) -> str:
    if not passkey_registrable(payment=payment):
        raise InvalidTransition("A passkey cannot be registered for this payment.")
    return registration_options(
        purpose=REGISTER_PURPOSE,
        subject=payment.public_id,
        user_id=f"{payment.order.customer}:{payment.card_id}".encode(),
        user_name=f"{payment.merchant.name} card {payment.masked_card}",
        exclude=[key.credential_id for key in passkeys_for(payment)],
    )


def passkey_register(*, payment: Payment, token) -> None:
    """Register the passkey a ``create()`` answer made for the card of ``payment``."""
    if not passkey_registrable(payment=payment):
        raise InvalidTransition("A passkey cannot be registered for this payment.")
    try:
        new = registration_verify(token=token, purpose=REGISTER_PURPOSE, subject=payment.public_id)
    except WebAuthnRefused as exc:
        raise PasskeyRefused(exc.message, code=exc.code) from None
    passkey_store().register(
        payment=payment,
        credential_id=new.credential_id,
        public_key=new.public_key,
        sign_count=new.sign_count,
    )
    logger.info("passkey registered for payment %s", payment.public_id)
