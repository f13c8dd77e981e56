"""Dynamic currency conversion (DCC): a shopper whose card is billed in another currency than
the order's may pay in the card's currency, at the reference rate plus the merchant's DCC markup.

An offer is a ``Quote`` of the order's amount into the card's currency, locked for five minutes
(``dcc_order`` names the order): ``converted_amount`` at the ECB rate, ``markup_amount`` the
markup, and ``total_amount`` what the shopper is charged. A payment takes the offer (``payment``)
while it holds; at capture the payment converts back into the order's currency at the offer's
own figures, so the merchant gets the order's amount and the markup is the platform's.

DCC is offered only where the order's currency settles as paid (the merchant has no settlement
currency, or settles in it): a payment is converted once, never twice.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from .arithmetic import _EXACT, BPS_DENOMINATOR, bps_of, convert, rate_quantize
from .currencies import exponent
from .errors import QuoteExpired, QuoteInvalid, RateUnavailable
from .issuers import card_country, card_currency
from .models import Conversion, Quote
from .rates import rate_as_of
from .services import quote_write
from .terms import FxTerms

__all__ = ["dcc_conversion", "dcc_offer", "dcc_offer_take", "dcc_rate_with_markup"]

DCC_LOCK = Quote.Lock.FIVE_MINUTES
# An offer with less than this left is not shown again: the shopper needs time to pay.
REUSE_MARGIN = timedelta(minutes=2)


def _offers_dcc(terms: FxTerms, currency: str) -> bool:
    return terms.dcc_enabled and terms.settlement_currency in ("", currency)


def dcc_offer(
    *, terms: FxTerms, livemode: bool, order_id: int, currency: str, amount: int, card_bin: str
) -> Quote | None:
    """Return the DCC offer for paying order ``order_id`` (``amount`` of ``currency``) with a card
    of BIN ``card_bin``, or None when there is none to make: DCC off, the card billed in the
    order's currency or one we do not know, no fresh rate. An unused offer of the order with
    time left is returned again rather than a new one written."""
    to_currency = card_currency(card_bin)
    if not _offers_dcc(terms, currency) or to_currency in ("", currency):
        return None
    try:
        exponent(to_currency)
    except KeyError:
        return None
    now = timezone.now()
    same = Quote.objects.filter(
        dcc_order_id=order_id,
        payment__isnull=True,
        from_currency=currency,
        to_currency=to_currency,
        amount=amount,
        markup_bps=terms.dcc_markup_bps,
        expires_at__gt=now + REUSE_MARGIN,
    )
    offer = same.order_by("-expires_at").first()
    if offer is not None:
        return offer
    try:
        rate = rate_as_of(currency, to_currency, now)
    except RateUnavailable:
        return None
    if rate.stale:
        return None  # a shopper is never shown an outdated rate as today's
    converted = convert(
        amount,
        rate=rate.rate,
        from_exponent=exponent(currency),
        to_exponent=exponent(to_currency),
    )
    return quote_write(
        merchant_id=terms.merchant_id,
        livemode=livemode,
        from_currency=currency,
        to_currency=to_currency,
        amount=amount,
        rate=rate,
        converted=converted,
        markup_bps=terms.dcc_markup_bps,
        lock=DCC_LOCK,
        now=now,
        dcc_order_id=order_id,
    )


def dcc_rate_with_markup(quote: Quote) -> Decimal:
    """Return the rate the shopper pays at: the reference rate plus the DCC markup."""
    factor = Decimal(BPS_DENOMINATOR + quote.markup_bps) / BPS_DENOMINATOR
    return rate_quantize(_EXACT.multiply(quote.rate, factor))


def dcc_offer_take(
    *,
    terms: FxTerms,
    livemode: bool,
    quote_id: str,
    order_id: int,
    currency: str,
    amount: int,
    card_bin: str,
) -> Quote:
    """Lock and return the DCC offer a payment of the order with this card is to be made at.
    Run it in the payment's transaction, then set ``payment`` on it. Raise ``QuoteInvalid``
    (not this order's, not this card's currency, taken) or ``QuoteExpired``."""
    quote = (
        Quote.objects.select_for_update()
        .filter(
            public_id=quote_id,
            merchant_id=terms.merchant_id,
            livemode=livemode,
            dcc_order_id=order_id,
        )
        .first()
    )
    if quote is None or not _offers_dcc(terms, currency):
        raise QuoteInvalid("This currency offer is not for this order.", field="dcc_quote")
    if quote.payment_id is not None:
        raise QuoteInvalid("This currency offer was used already.", field="dcc_quote")
    if (quote.from_currency, quote.amount) != (currency, amount):
        raise QuoteInvalid("This currency offer is for another amount.", field="dcc_quote")
    if quote.to_currency != card_currency(card_bin):
        raise QuoteInvalid(
            f"This card is not billed in {quote.to_currency}: pay in {currency}.",
            field="dcc_quote",
        )
    if quote.expires_at <= timezone.now():
        raise QuoteExpired(
            "The exchange rate offered has expired, so nothing was charged.", field="dcc_quote"
        )
    return quote


def _share(part: int, of_total: int, total: int, ratio_exponent: int) -> int:
    """``of_total * part / total`` rounded half-even (``part`` of ``total`` is being captured)."""
    if part == total:
        return of_total
    ratio = _EXACT.divide(Decimal(of_total), Decimal(total))
    return convert(part, rate=ratio, from_exponent=ratio_exponent, to_exponent=ratio_exponent)


def dcc_conversion(
    *, terms: FxTerms, quote: Quote, payment_id: int, amount: int, card_bin: str
) -> Conversion:
    """Write and return the conversion of a capture of ``amount`` (card currency) of a payment
    made at DCC offer ``quote``: back into the order's currency at the offer's figures (the full
    capture gives the merchant exactly the order's amount), the markup on its own line."""
    total = quote.total_amount
    settled = _share(amount, quote.amount, total, 0)
    markup = _share(amount, quote.markup_amount, total, 0)
    scale = exponent(quote.to_currency) - exponent(quote.from_currency)
    effective = _EXACT.divide(Decimal(quote.amount), Decimal(total)).scaleb(scale)
    conversion = Conversion(
        payment_id=payment_id,
        merchant_id=terms.merchant_id,
        presentment_currency=quote.to_currency,
        presentment_amount=amount,
        settlement_currency=quote.from_currency,
        settlement_amount=settled,
        rate=rate_quantize(effective),
        fixing_date=quote.fixing_date,
        source=quote.source,
        quote=quote,
        dcc_markup_bps=quote.markup_bps,
        dcc_markup_amount=markup,
    )
    country = card_country(card_bin) if card_bin and terms.cross_border_fee_bps else ""
    conversion.card_country = country
    if country and country != terms.country:
        conversion.cross_border_fee_bps = terms.cross_border_fee_bps
        conversion.cross_border_fee = bps_of(settled, terms.cross_border_fee_bps)
    # The offer's rate holds whenever the capture is: the shopper agreed to it.
    conversion.save()
    return conversion
