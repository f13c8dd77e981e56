"""What payments asks of ``fx``: the conversion of a capture and of its refunds, quotes on
orders, the currencies a merchant accepts. ``fx`` errors become ``ValidationFailed`` here, so
the API, checkout and admin answer them as any other invalid request.
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime

from fx import dcc
from fx import services as fx
from fx.errors import FxError
from fx.ledger import capture_lines, refund_lines
from fx.models import Conversion, Quote, RefundConversion
from fx.terms import FxTerms
from ledger.services import Line

from ..errors import ValidationFailed
from ..models import Merchant, Order, Payment, Refund
from ..validation import FieldError


@contextmanager
def fx_errors_as_validation():
    """Raise an ``FxError`` of the block as ``ValidationFailed`` naming its field and code."""
    try:
        yield
    except FxError as err:
        raise ValidationFailed(
            [FieldError(err.field or "currency", err.code, err.message)]
        ) from None


def fx_terms(merchant: Merchant) -> FxTerms:
    """Return the merchant's FX terms as ``fx`` takes them."""
    return FxTerms(
        merchant_id=merchant.pk,
        country=merchant.country,
        settlement_currency=merchant.settlement_currency,
        accepted_currencies=tuple(merchant.accepted_currencies or ()),
        markup_bps=merchant.fx_markup_bps,
        cross_border_fee_bps=merchant.cross_border_fee_bps,
        refuse_expired_quotes=merchant.fx_refuse_expired_quotes,
        dcc_enabled=merchant.dcc_enabled,
        dcc_markup_bps=merchant.dcc_markup_bps,
    )


def order_fx_prepare(*, order: Order, fx_quote: str = "") -> None:
    """Check the order's currency is one the merchant accepts and attach its quote, if any, in
    the order's transaction."""
    terms = fx_terms(order.merchant)
    with fx_errors_as_validation():
        fx.order_currency_check(terms=terms, currency=order.currency)
        if fx_quote:
            fx.quote_attach(
                terms=terms,
                livemode=order.livemode,
                quote_id=fx_quote,
                order_id=order.pk,
                currency=order.currency,
                amount=order.amount,
            )


def payment_fx_check(*, order: Order, merchant: Merchant) -> None:
    """Refuse a payment a capture could not convert (its quote expired and the merchant
    refuses then, or no rate of the pair): before anything is charged."""
    with fx_errors_as_validation():
        fx.payable_check(terms=fx_terms(merchant), order_id=order.pk, currency=order.currency)


def _dcc_quote_of(payment: Payment, order: Order | None) -> Quote | None:
    """The DCC offer the payment was made at: only a payment in another currency than its
    order's has one (no query for the others)."""
    order = order or payment.order
    if payment.currency == order.currency:
        return None
    return Quote.objects.filter(payment_id=payment.pk).first()


def capture_converts(*, payment: Payment) -> bool:
    """Return True if a capture of ``payment`` may write a conversion (and so may be refused by
    it): paid at a DCC offer, in a currency the merchant settles converted, or a card that may
    carry a cross-border fee."""
    terms = fx_terms(payment.merchant)
    return (
        payment.currency != payment.order.currency
        or terms.converts(payment.currency)
        or bool(terms.cross_border_fee_bps)
    )


def capture_conversion(
    *, payment: Payment, amount: int, at: datetime, order: Order | None = None
) -> Conversion | None:
    """Write the conversion of a capture of ``amount`` at ``at`` (None: settles as paid)."""
    terms = fx_terms(payment.merchant)
    # The card's BIN only matters for a cross-border fee: no vault read otherwise.
    card_bin = payment.card.first6 if payment.card_id and terms.cross_border_fee_bps else ""
    offer = _dcc_quote_of(payment, order)
    if offer is not None:
        return dcc.dcc_conversion(
            terms=terms, quote=offer, payment_id=payment.pk, amount=amount, card_bin=card_bin
        )
    with fx_errors_as_validation():
        return fx.conversion_for_capture(
            terms=terms,
            payment_id=payment.pk,
            order_id=payment.order_id,
            currency=payment.currency,
            amount=amount,
            card_bin=card_bin,
            at=at,
        )


def refund_conversion(*, refund: Refund, at: datetime) -> RefundConversion | None:
    return fx.conversion_for_refund(
        refund_id=refund.pk, payment_id=refund.payment_id, amount=refund.amount, at=at
    )


def converted_capture_lines(*, payment: Payment, conversion: Conversion) -> list[Line]:
    return capture_lines(
        conversion=conversion, institution=payment.institution, merchant=payment.merchant.public_id
    )


def converted_refund_lines(*, refund: Refund, conversion: RefundConversion) -> list[Line]:
    payment = refund.payment
    return refund_lines(
        refund=conversion,
        currency=refund.currency,
        institution=payment.institution,
        merchant=payment.merchant.public_id,
    )
