"""Saved payment methods: a card saved for a customer with the consent they gave.

Its PAN goes to the payments vault; the method keeps brand, last 4, expiry and a fingerprint
under a key of the merchant's own, so the same card saved twice for a customer is the same
method. ``saved_method_resolve`` answers ``payments.saved_methods`` for ``pm_`` ids.
"""

from __future__ import annotations

import ipaddress

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from payments.errors import NotFound, ValidationFailed
from payments.models import Merchant
from payments.saved_methods import SavedCard
from payments.services import event_record
from payments.validation import FieldError, validate_card
from payments.vault import card_store

from ..models import Customer, PaymentMethod
from .customers import _customer_lock, payment_method_detach_locked

CONSENT_TEXT_MAX = 2000


def card_fingerprint(*, merchant: Merchant, pan: str) -> str:
    """Return the HMAC-SHA256 of the PAN under a key derived for this merchant alone.

    Two merchants get different fingerprints for one card, so theirs cannot be joined. The key
    derives from ``SECRET_KEY``: a new secret gives new fingerprints (old methods are then not
    recognised when the card is saved again).
    """
    return salted_hmac(
        f"billing.card-fingerprint:{merchant.public_id}", pan, algorithm="sha256"
    ).hexdigest()


def _consent_errors(*, text, ip, usage) -> list[FieldError]:
    errors: list[FieldError] = []
    if not isinstance(text, str) or not text.strip():
        errors.append(
            FieldError("consent.text", "required", "Give the consent text the customer agreed to.")
        )
    elif len(text) > CONSENT_TEXT_MAX:
        errors.append(
            FieldError(
                "consent.text", "too_long", f"The text has at most {CONSENT_TEXT_MAX} characters."
            )
        )
    try:
        ipaddress.ip_address(ip)
    except ValueError:
        errors.append(
            FieldError("consent.ip", "invalid_ip", "Give the customer's IP address (v4 or v6).")
        )
    if usage not in PaymentMethod.Usage.values:
        errors.append(
            FieldError("consent.usage", "invalid_choice", "Usage is on_session or off_session.")
        )
    return errors


def payment_method_attach(
    *,
    customer: Customer,
    number: str,
    exp_month: int,
    exp_year: int,
    cvc: str,
    holder_name: str,
    consent_text: str,
    consent_ip: str,
    consent_usage: str,
) -> tuple[PaymentMethod, bool]:
    """Save a card for the customer; return the method and whether it is new.

    The card is validated as for a payment (the CVC is checked, then forgotten). A card the
    customer already saved returns that method, also when two requests race: the customer row
    is locked, and the partial unique constraint is the last word.
    """
    card, errors = validate_card(
        number=number, exp_month=exp_month, exp_year=exp_year, cvc=cvc, holder_name=holder_name
    )
    errors += _consent_errors(text=consent_text, ip=consent_ip, usage=consent_usage)
    if errors or card is None:
        raise ValidationFailed(errors)
    fingerprint = card_fingerprint(merchant=customer.merchant, pan=card.number)
    with transaction.atomic():
        customer = _customer_lock(customer)
        existing = _attached(customer=customer, fingerprint=fingerprint)
        if existing is not None:
            return existing, False
        try:
            with transaction.atomic():  # the vault row goes too if the INSERT loses a race
                method = PaymentMethod.objects.create(
                    merchant_id=customer.merchant_id,
                    livemode=customer.livemode,
                    customer=customer,
                    card=card_store(
                        pan=card.number,
                        brand=card.brand or "",
                        exp_month=card.exp_month,
                        exp_year=card.exp_year,
                    ),
                    # A valid number of no known brand is saved too: its issuer declines it.
                    card_brand=card.brand or "",
                    card_last4=card.last4,
                    card_exp_month=card.exp_month,
                    card_exp_year=card.exp_year,
                    holder_name=card.holder_name,
                    fingerprint=fingerprint,
                    consent_text=consent_text,
                    consent_ip=consent_ip,
                    consent_usage=consent_usage,
                    consented_at=timezone.now(),
                )
        except IntegrityError:
            existing = _attached(customer=customer, fingerprint=fingerprint)
            if existing is None:
                raise
            return existing, False
        event_record(obj=method, type="payment_method.attached", sequence=1)
    return method, True


def _attached(*, customer: Customer, fingerprint: str) -> PaymentMethod | None:
    return PaymentMethod.objects.filter(
        customer=customer, fingerprint=fingerprint, detached_at__isnull=True
    ).first()


def payment_method_detach(*, method: PaymentMethod) -> PaymentMethod:
    """Detach the method from its customer: it can no longer be paid with."""
    with transaction.atomic():
        locked = (
            PaymentMethod.objects.select_for_update()
            .select_related("customer")
            .filter(pk=method.pk, detached_at__isnull=True)
            .first()
        )
        if locked is None:
            raise NotFound("No such payment method.")
        payment_method_detach_locked(locked, now=timezone.now())
    return locked


def saved_method_resolve(*, merchant: Merchant, livemode: bool, method_id: str) -> SavedCard | None:
    """Return the attached method ``method_id`` of the merchant and mode as a ``SavedCard``."""
    method = (
        PaymentMethod.objects.select_related("card")
        .filter(
            merchant=merchant,
            livemode=livemode,
            public_id=method_id,
            detached_at__isnull=True,
            customer__deleted_at__isnull=True,
        )
        .first()
    )
    if method is None:
        return None
    return SavedCard(
        method_id=method.public_id,
        card=method.card,
        brand=method.card_brand,
        last4=method.card_last4,
        exp_month=method.card_exp_month,
        exp_year=method.card_exp_year,
        holder_name=method.holder_name,
        off_session=method.consent_usage == PaymentMethod.Usage.OFF_SESSION,
    )
