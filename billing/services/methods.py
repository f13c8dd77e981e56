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
from payments.models import CardVault, Merchant
from payments.saved_methods import SavedCard
from payments.services import card_authentication_check, event_record
from payments.validation import FieldError, validate_card
from payments.vault import card_reveal, card_store

from ..models import Customer, PaymentMethod
from .customers import _customer_lock, payment_method_detach_locked
from .verification import verification_start

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
    is locked, and the partial unique constraint is the last word. When the issuer wants its
    holder verified, the new method is ``requires_action`` and a code goes to the holder.
    """
    card, errors = validate_card(
        number=number, exp_month=exp_month, exp_year=exp_year, cvc=cvc, holder_name=holder_name
    )
    errors += _consent_errors(text=consent_text, ip=consent_ip, usage=consent_usage)
    if errors or card is None:
        raise ValidationFailed(errors)
    fingerprint = card_fingerprint(merchant=customer.merchant, pan=card.number)
    existing = _attached(customer=customer, fingerprint=fingerprint)
    if existing is not None:
        return existing, False
    # Asked before any lock is taken: the issuer is a network call.
    challenge = card_authentication_check(
        merchant=customer.merchant, livemode=customer.livemode, card=card
    )
    return _method_save(
        customer=customer,
        fingerprint=fingerprint,
        vault=lambda: card_store(
            pan=card.number,
            brand=card.brand or "",
            exp_month=card.exp_month,
            exp_year=card.exp_year,
        ),
        # A valid number of no known brand is saved too: its issuer declines it.
        card_fields={
            "card_brand": card.brand or "",
            "card_last4": card.last4,
            "card_exp_month": card.exp_month,
            "card_exp_year": card.exp_year,
            "holder_name": card.holder_name,
        },
        consent={"consent_text": consent_text, "consent_ip": consent_ip},
        usage=consent_usage,
        challenge=challenge,
    )


def payment_method_attach_vaulted(
    *,
    customer: Customer,
    card: CardVault,
    holder_name: str,
    consent_text: str,
    consent_ip: str,
    consent_usage: str,
    consented_at=None,
) -> tuple[PaymentMethod, bool]:
    """Save a card already in the vault (the hosted checkout's, once its payment succeeded).

    The holder was present and passed whatever the issuer asked during that payment, so the
    method is ``active`` at once. The same card saved before returns that method.
    """
    errors = _consent_errors(text=consent_text, ip=consent_ip, usage=consent_usage)
    if errors:
        raise ValidationFailed(errors)
    fingerprint = card_fingerprint(merchant=customer.merchant, pan=card_reveal(card=card))
    return _method_save(
        customer=customer,
        fingerprint=fingerprint,
        vault=lambda: card,
        card_fields={
            "card_brand": card.brand,
            "card_last4": card.last4,
            "card_exp_month": card.exp_month,
            "card_exp_year": card.exp_year,
            "holder_name": holder_name[:100],
        },
        consent={
            "consent_text": consent_text,
            "consent_ip": consent_ip,
            "consented_at": consented_at or timezone.now(),
        },
        usage=consent_usage,
        challenge=None,
    )


def _method_save(
    *, customer, fingerprint, vault, card_fields, consent, usage, challenge
) -> tuple[PaymentMethod, bool]:
    """Create the method under the customer's lock, or return the one saved for this card."""
    with transaction.atomic():
        customer = _customer_lock(customer)
        existing = _attached(customer=customer, fingerprint=fingerprint)
        if existing is not None:
            return existing, False
        status = PaymentMethod.Status.REQUIRES_ACTION if challenge else PaymentMethod.Status.ACTIVE
        consented_at = consent.get("consented_at") or timezone.now()
        try:
            with transaction.atomic():  # the vault row goes too if the INSERT loses a race
                method = PaymentMethod.objects.create(
                    merchant_id=customer.merchant_id,
                    livemode=customer.livemode,
                    customer=customer,
                    card=vault(),
                    fingerprint=fingerprint,
                    consent_text=consent["consent_text"],
                    consent_ip=consent["consent_ip"],
                    consent_usage=usage,
                    consented_at=consented_at,
                    status=status,
                    **card_fields,
                )
        except IntegrityError:
            existing = _attached(customer=customer, fingerprint=fingerprint)
            if existing is None:
                raise
            return existing, False
        if challenge is not None:
            verification_start(method=method, challenge=challenge)
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
    return saved_card_of(method)


def saved_methods_resolve(
    *, merchant: Merchant, livemode: bool, method_ids: list[str]
) -> dict[str, SavedCard]:
    """``saved_method_resolve`` of several ids in one query (a batch of renewals)."""
    methods = PaymentMethod.objects.select_related("card").filter(
        merchant=merchant,
        livemode=livemode,
        public_id__in=method_ids,
        detached_at__isnull=True,
        customer__deleted_at__isnull=True,
    )
    return {method.public_id: saved_card_of(method) for method in methods}


def saved_card_of(method: PaymentMethod) -> SavedCard:
    """The method as ``payments.saved_methods`` sees it (its ``card`` loaded with it)."""
    return SavedCard(
        method_id=method.public_id,
        card=method.card,
        brand=method.card_brand,
        last4=method.card_last4,
        exp_month=method.card_exp_month,
        exp_year=method.card_exp_year,
        holder_name=method.holder_name,
        off_session=method.consent_usage == PaymentMethod.Usage.OFF_SESSION,
        requires_action=method.status == PaymentMethod.Status.REQUIRES_ACTION,
    )
