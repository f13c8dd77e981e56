"""Saved cards on the hosted checkout, for an order that names a customer.

The customer's saved cards are offered (brand, last 4, expiry) beside "Use another card"; paying
with one is an on-session charge: the shopper is on the page and chooses it, so it is not flagged
merchant-initiated and needs no ``off_session`` consent. No CVC is asked again, as in the hosted
checkouts shoppers know (the issuer may still ask its holder for a code, which the shopper can
enter here); the checkout link is the merchant's, made for its signed-in customer.

A new card may be saved: the shopper ticks "Save this card for future payments" under the words
of the consent, which are recorded with the time, their IP and the use (the order's
``setup_future_usage``: ``on_session`` unless the merchant asked for ``off_session``, whose words
say the merchant may charge the card without them). The card is saved once the payment succeeds.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext, gettext_lazy

from backoffice.client_ip import client_ip

from ..errors import ValidationFailed
from ..models import CardSaveConsent, Order, Payment
from ..saved_methods import SavedCard, customer_saved_cards
from ..services import card_save_consent_record, payment_card_save, payment_create_saved
from ..validation import FieldError

SAVE_LABEL = gettext_lazy("Save this card for future payments")


def consent_words(order: Order) -> str:
    """The words under the box, saying what ticking it allows, in the page's language."""
    name = order.merchant.name
    if order.setup_future_usage == Order.SetupFutureUsage.OFF_SESSION:
        words = gettext(
            "I allow %(name)s to keep this card and charge it for my future payments to "
            "%(name)s, including ones made when I am not present (such as renewals). I can ask "
            "them to remove it at any time."
        )
    else:
        words = gettext(
            "I allow %(name)s to keep this card so that I can choose it the next time I pay "
            "%(name)s. It is not charged without me. I can ask them to remove it at any time."
        )
    return words % {"name": name}


def consent_text(order: Order) -> str:
    """What the shopper agreed to, as recorded: the box's label, then the words under it, in
    the language they were shown in."""
    return f"{SAVE_LABEL}. {consent_words(order)}"


def saved_cards(order: Order) -> list[SavedCard]:
    """The cards the order's customer may pay with now; none for an order without customer."""
    if not order.customer:
        return []
    return customer_saved_cards(
        merchant=order.merchant, livemode=order.livemode, customer_id=order.customer
    )


def pay_with_saved_card(*, order: Order, method_id: str) -> Payment:
    """Charge the customer's saved card ``method_id`` for the order, the shopper present."""
    if method_id not in {card.method_id for card in saved_cards(order)}:
        raise ValidationFailed(
            [FieldError("saved_card", "resource_missing", "Choose one of your saved cards.")]
        )
    return payment_create_saved(order=order, method_id=method_id, merchant_initiated=False)


def consent_record(
    *, request: HttpRequest, order: Order, payment: Payment, holder_name: str
) -> CardSaveConsent | None:
    """Record the shopper's consent to save the card of ``payment``; save it if already paid."""
    # The consent names the shopper's address; with none known, nothing is recorded or saved.
    ip = client_ip(request) or request.META.get("REMOTE_ADDR") or ""
    if not order.customer or not ip or payment.status == Payment.Status.DECLINED:
        return None
    card_save_consent_record(
        payment=payment,
        customer=order.customer,
        text=consent_text(order),
        ip=ip,
        usage=order.setup_future_usage,
        holder_name=holder_name,
    )
    return payment_card_save(payment=payment)


def card_saved(payment: Payment) -> bool:
    """Save the card of a succeeded payment if its shopper agreed; return whether it is saved."""
    consent = payment_card_save(payment=payment)
    return consent is not None and bool(consent.method_id)
