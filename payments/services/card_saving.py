"""Saving a card for a customer: the issuer's verification check, and the card a shopper agreed
on the hosted checkout to save, saved once its payment succeeds.

The customer and the saved method belong to another app, reached through
``payments.saved_methods`` (``customer_card_save``); this module keeps the shopper's consent
(``CardSaveConsent``) beside the payment until then.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from institutions.connector import Challenge, ConnectorError, MethodDetails

from ..errors import DomainError, InstitutionUnavailable
from ..models import CardSaveConsent, Merchant, Payment
from ..routing import connector_for, route_payment
from ..saved_methods import SaveConsent, customer_card_save
from ..validation import CardData

logger = logging.getLogger(__name__)

# The payment is done as far as the shopper is concerned: the money is held or taken.
_SUCCEEDED = (Payment.Status.AUTHORIZED, *Payment.CAPTURED_STATES)


def card_authentication_check(
    *, merchant: Merchant, livemode: bool, card: CardData
) -> Challenge | None:
    """Ask the card's issuer whether the holder must be verified (OTP) before the card is kept
    for later charges; return where the code goes, or None. Nothing is held or charged.

    Raise ``InstitutionUnavailable`` when the issuer cannot answer (nothing was saved).
    """
    route = route_payment(method_type="card", card_brand=card.brand or None, livemode=livemode)
    method = MethodDetails(
        type="card",
        card_number=card.number,
        exp_month=card.exp_month,
        exp_year=card.exp_year,
        holder_name=card.holder_name,
    )
    try:
        return connector_for(route.institution).authentication_required(
            method=method, livemode=livemode, sandbox_owner=merchant.public_id
        )
    except ConnectorError as err:
        raise InstitutionUnavailable(
            "The card's issuer could not be reached to verify it; nothing was saved. Try again."
        ) from err


def card_save_consent_record(
    *, payment: Payment, customer: str, text: str, ip: str, usage: str, holder_name: str
) -> CardSaveConsent:
    """Record that the shopper agreed to save the card of ``payment`` for ``customer``."""
    return CardSaveConsent.objects.create(
        payment=payment,
        customer=customer,
        text=text,
        ip=ip,
        usage=usage,
        holder_name=holder_name[:100],
        consented_at=timezone.now(),
    )


def payment_card_save(*, payment: Payment) -> CardSaveConsent | None:
    """Save the card of a succeeded payment whose shopper agreed to it; return the consent.

    Idempotent: the consent row is locked and its ``method_id`` set once; a payment that did
    not succeed, or has no consent, saves nothing. A customer deleted meanwhile saves nothing
    either (the payment stands; the consent keeps no ``method_id``).
    """
    consent = CardSaveConsent.objects.filter(payment=payment).first()
    if consent is None or consent.method_id or payment.status not in _SUCCEEDED:
        return consent
    with transaction.atomic():
        consent = CardSaveConsent.objects.select_for_update().get(pk=consent.pk)
        if consent.method_id:
            return consent
        try:
            consent.method_id = customer_card_save(
                merchant=payment.merchant,
                livemode=payment.livemode,
                customer_id=consent.customer,
                card=payment.card,
                holder_name=consent.holder_name,
                consent=SaveConsent(
                    text=consent.text,
                    ip=consent.ip,
                    usage=consent.usage,
                    consented_at=consent.consented_at,
                ),
            )
        except DomainError as err:
            logger.info("card of %s not saved: %s", payment.public_id, err.code)
            return consent
        consent.saved_at = timezone.now()
        consent.save(update_fields=["method_id", "saved_at"])
    return consent
