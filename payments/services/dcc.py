"""Dynamic currency conversion on the hosted checkout: the offer to pay in the card's currency
(``fx.dcc``), and the payment made at it. ``fx`` errors become ``ValidationFailed`` on field
``dcc_quote``.
"""

from __future__ import annotations

from fx import dcc
from fx.models import Quote

from ..models import Merchant, Order, Payment
from ..validation import validate_amount
from .fx import fx_errors_as_validation, fx_terms


def dcc_offer_for(*, order: Order, card_bin: str) -> Quote | None:
    """Return the offer to pay ``order`` in the currency of the card of BIN ``card_bin`` (a
    locked quote), or None when the merchant makes none for it (see ``fx.dcc``)."""
    offer = dcc.dcc_offer(
        terms=fx_terms(order.merchant),
        livemode=order.livemode,
        order_id=order.pk,
        currency=order.currency,
        amount=order.amount,
        card_bin=card_bin,
    )
    if offer is None or validate_amount(
        amount=offer.total_amount, currency=offer.to_currency, method="card"
    ):
        return None  # nothing to offer, or an amount a card cannot be charged in that currency
    return offer


def payment_dcc_take(*, order: Order, merchant: Merchant, quote_id: str, card_bin: str) -> Quote:
    """Lock the DCC offer a card payment of ``order`` is made at, in the payment's transaction;
    ``ValidationFailed`` on field ``dcc_quote`` (``quote_expired``, ``invalid_quote``)."""
    with fx_errors_as_validation():
        return dcc.dcc_offer_take(
            terms=fx_terms(merchant),
            livemode=order.livemode,
            quote_id=quote_id,
            order_id=order.pk,
            currency=order.currency,
            amount=order.amount,
            card_bin=card_bin,
        )


def payment_new(
    *, order: Order, merchant: Merchant, method, route, card, dcc_quote: str
) -> tuple[Payment, Quote | None]:
    """The unsaved payment of the order: in the order's amount and currency, or in the card's
    at the DCC offer ``dcc_quote`` (locked here, in the caller's transaction), and that offer."""
    offer = None
    if dcc_quote and card:
        offer = payment_dcc_take(
            order=order, merchant=merchant, quote_id=dcc_quote, card_bin=card.first6
        )
    payment = Payment(
        order=order,
        merchant=merchant,
        livemode=order.livemode,
        amount=offer.total_amount if offer else order.amount,
        currency=offer.to_currency if offer else order.currency,
        capture_method=order.capture_method,
        method_type=method.type,
        institution=route.institution,
    )
    return payment, offer
