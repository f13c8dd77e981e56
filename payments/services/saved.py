"""Paying an order with a saved card (``pm_...``), resolved through ``payments.saved_methods``.

The card comes from the vault row saved with it; no CVC exists to send. A merchant-initiated
charge (the merchant's server charging without the customer, e.g. a renewal) is flagged as
such to the institution and refused unless the customer consented to ``off_session`` use.
"""

from __future__ import annotations

from institutions.connector import MethodDetails

from ..errors import ValidationFailed
from ..models import CardVault, Order, Payment
from ..routing import route_payment
from ..saved_methods import SavedCard, saved_method_resolve
from ..validation import CardData, FieldError, card_expired, validate_amount
from ..vault import card_reveal
from .checked import CheckedMethod, MethodInput
from .payments import _payment_open, authorization_send

FIELD = "payment_method.id"


def payment_create_saved(
    *, order: Order, method_id: str, merchant_initiated: bool = True
) -> Payment:
    """Authorize a payment of ``order`` with the saved card ``method_id``; return the payment.

    Raise ``ValidationFailed`` (field ``payment_method.id``) for an unknown or detached method,
    an expired card, or a merchant-initiated charge without ``off_session`` consent; a decline
    is a normal outcome, as for a card typed in.
    """
    checked, vault = saved_method_check(
        order=order, method_id=method_id, merchant_initiated=merchant_initiated
    )
    payment, attempt = _payment_open(order=order, checked=checked, vault=vault)
    return saved_send(
        payment=payment, attempt=attempt, checked=checked, merchant_initiated=merchant_initiated
    )


def saved_method_check(
    *, order: Order, method_id: str, merchant_initiated: bool
) -> tuple[CheckedMethod, CardVault]:
    """Return the saved card ``method_id`` checked for paying ``order`` (which may be not yet
    written: only its merchant, mode, amount and currency are read), and its vault row."""
    saved = saved_method_resolve(
        merchant=order.merchant, livemode=order.livemode, method_id=method_id
    )
    return saved_card_checked(order=order, saved=saved, merchant_initiated=merchant_initiated)


def saved_card_checked(
    *, order: Order, saved: SavedCard | None, merchant_initiated: bool
) -> tuple[CheckedMethod, CardVault]:
    """``saved_method_check`` of a method already resolved (None: unknown or detached)."""
    saved = _saved_card_usable(order=order, saved=saved, merchant_initiated=merchant_initiated)
    route = route_payment(
        method_type="card", card_brand=saved.brand or None, livemode=order.livemode
    )
    card = CardData(
        number=card_reveal(card=saved.card),
        brand=saved.brand or None,
        first6=saved.card.first6,
        last4=saved.last4,
        exp_month=saved.exp_month,
        exp_year=saved.exp_year,
        cvc="",
        holder_name=saved.holder_name,
    )
    method = MethodInput(type=Payment.Method.CARD)
    return CheckedMethod(input=method, card=card, phone=None, route=route), saved.card


def saved_send(
    *, payment: Payment, attempt, checked: CheckedMethod, merchant_initiated: bool
) -> Payment:
    """Send the opened payment of a saved card to its institution (no CVC exists to send)."""
    if payment.status != Payment.Status.PROCESSING:
        return payment  # declined or waiting for a code before routing: nothing was sent
    return authorization_send(
        payment=payment,
        attempt=attempt,
        details=saved_details(checked),
        merchant_initiated=merchant_initiated,
    )


def saved_details(checked: CheckedMethod) -> MethodDetails:
    """What the institution gets of a saved card: no CVC exists to send."""
    card = checked.card
    return MethodDetails(
        type=Payment.Method.CARD,
        card_number=card.number,
        exp_month=card.exp_month,
        exp_year=card.exp_year,
        holder_name=card.holder_name,
    )


def _saved_card_usable(*, order: Order, saved: SavedCard | None, merchant_initiated: bool):
    """Return the saved card of the order's merchant and mode, if it may pay it."""
    if saved is None:
        raise ValidationFailed(
            [FieldError(FIELD, "resource_missing", "No such saved payment method.")]
        )
    if saved.requires_action:
        raise ValidationFailed(
            [
                FieldError(
                    FIELD,
                    "payment_method_requires_action",
                    "This saved card is waiting for its holder's verification code and cannot "
                    "be charged yet; verify it first (POST .../payment-methods/{id}/otp).",
                )
            ]
        )
    errors = validate_amount(amount=order.amount, currency=order.currency, method="card")
    if merchant_initiated and not saved.off_session:
        errors.append(
            FieldError(
                FIELD,
                "off_session_consent_missing",
                "The customer did not agree to be charged without being present "
                "(consent usage off_session); ask them to pay, or to save the card again.",
            )
        )
    if card_expired(exp_month=saved.exp_month, exp_year=saved.exp_year):
        errors.append(FieldError(FIELD, "expired_card", "This saved card has expired."))
    if errors:
        raise ValidationFailed(errors)
    return saved
