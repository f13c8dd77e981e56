"""Writes of FX: quotes, and the conversion of captures and refunds.

Callers (``payments``) pass plain ids, values and the merchant's ``FxTerms``: ``fx`` reads no
table of theirs. The conversion services join the caller's transaction, under its payment lock,
so a capture and its conversion (and a refund and its conversion back) commit together.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.db.models import Sum
from django.utils import timezone

from .arithmetic import bps_of, convert, convert_share
from .currencies import exponent
from .errors import CurrencyNotAccepted, FxError, QuoteExpired, QuoteInvalid, RateUnavailable
from .issuers import card_country
from .models import Conversion, Quote, RefundConversion
from .rates import RateAsOf, rate_as_of
from .terms import FxTerms

__all__ = [
    "conversion_for_capture",
    "conversion_for_refund",
    "currency_check",
    "order_currency_check",
    "payable_check",
    "quote_attach",
    "quote_create",
]


def _currency_check(code: object, field: str) -> None:
    try:
        exponent(code)  # type: ignore[arg-type]
    except KeyError:
        raise FxError(
            f"{code!r} is not a currency we support.", field=field, code="invalid_currency"
        ) from None


def currency_check(code: object, field: str) -> None:
    """Raise ``FxError`` (``invalid_currency``) unless ``code`` is a currency we support."""
    _currency_check(code, field)


def order_currency_check(*, terms: FxTerms, currency: str) -> None:
    """Raise ``CurrencyNotAccepted`` when the merchant limits its currencies and this is not one."""
    if terms.accepted_currencies and currency not in terms.accepted_currencies:
        accepted = ", ".join(terms.accepted_currencies)
        raise CurrencyNotAccepted(f"This merchant accepts orders in {accepted} only.")


def _quoted(*, amount: int, rate: Decimal, from_currency: str, to_currency: str) -> int:
    return convert(
        amount, rate=rate, from_exponent=exponent(from_currency), to_exponent=exponent(to_currency)
    )


def quote_create(
    *,
    terms: FxTerms,
    livemode: bool,
    from_currency: str,
    to_currency: str,
    amount: int,
    lock: str = Quote.Lock.FIVE_MINUTES,
) -> Quote:
    """Lock the current reference rate of the pair for ``lock`` (5m, 1h or 24h); return the quote
    with the amount converted and the merchant's markup on it. Raise ``RateUnavailable``."""
    _currency_check(from_currency, "from_currency")
    _currency_check(to_currency, "to_currency")
    if from_currency == to_currency:
        raise FxError("Quote two different currencies.", field="to_currency", code="same_currency")
    now = timezone.now()
    rate = rate_as_of(from_currency, to_currency, now)
    converted = _quoted(
        amount=amount, rate=rate.rate, from_currency=from_currency, to_currency=to_currency
    )
    return quote_write(
        merchant_id=terms.merchant_id,
        livemode=livemode,
        from_currency=from_currency,
        to_currency=to_currency,
        amount=amount,
        rate=rate,
        converted=converted,
        markup_bps=terms.markup_bps,
        lock=lock,
        now=now,
    )


def quote_write(
    *,
    merchant_id,
    livemode,
    from_currency,
    to_currency,
    amount,
    rate,
    converted,
    markup_bps,
    lock,
    now,
    **extra,
) -> Quote:
    """Store a quote of ``amount`` at ``rate`` (a ``rate_as_of`` answer), locked from ``now``;
    its markup is its own amount. One writer for merchant quotes and checkout DCC offers."""
    return Quote.objects.create(
        merchant_id=merchant_id,
        livemode=livemode,
        from_currency=from_currency,
        to_currency=to_currency,
        amount=amount,
        rate=rate.rate,
        fixing_date=rate.fixing_date,
        source=rate.source,
        converted_amount=converted,
        markup_bps=markup_bps,
        markup_amount=bps_of(converted, markup_bps),
        lock=lock,
        expires_at=now + Quote.LOCKS[lock],
        **extra,
    )


def quote_attach(
    *, terms: FxTerms, livemode: bool, quote_id: str, order_id: int, currency: str, amount: int
) -> Quote:
    """Make the quote the order's: same merchant and mode, its amount and currency the order's,
    into the merchant's settlement currency, not expired, not another order's. Run it in the
    order's transaction; raise ``QuoteInvalid`` or ``QuoteExpired``."""
    quote = (
        Quote.objects.select_for_update()
        .filter(public_id=quote_id, merchant_id=terms.merchant_id, livemode=livemode)
        .first()
    )
    if quote is None:
        raise QuoteInvalid("No such FX quote.")
    if quote.order_id is not None:
        raise QuoteInvalid("This FX quote belongs to another order.")
    if (quote.from_currency, quote.amount) != (currency, amount):
        raise QuoteInvalid("The FX quote is for another amount or currency than the order.")
    if terms.settlement_currency != quote.to_currency:
        raise QuoteInvalid("The FX quote is not into the merchant's settlement currency.")
    if quote.expires_at <= timezone.now():
        raise QuoteExpired(f"The FX quote expired at {quote.expires_at.isoformat()}.")
    quote.order_id = order_id
    quote.save(update_fields=["order"])
    return quote


def _rate_for(
    *, terms: FxTerms, order_id: int, currency: str, at: datetime
) -> tuple[RateAsOf, Quote | None]:
    """The rate a payment of the order converts at, at ``at``: its quote's while it holds, then
    the live rate, or ``QuoteExpired`` when the merchant refuses expired quotes."""
    quote = Quote.objects.filter(order_id=order_id).first()
    if quote is not None and quote.to_currency == terms.settlement_currency:
        if at < quote.expires_at:
            rate = RateAsOf(
                quote.from_currency,
                quote.to_currency,
                quote.rate,
                quote.fixing_date,
                quote.source,
                False,
            )
            return rate, quote
        if terms.refuse_expired_quotes:
            raise QuoteExpired(
                f"The order's FX quote expired at {quote.expires_at.isoformat()}; this merchant"
                " does not convert at another rate."
            )
    return rate_as_of(currency, terms.settlement_currency, at), None


def payable_check(*, terms: FxTerms, order_id: int, currency: str) -> None:
    """Raise an ``FxError`` when a payment of the order now could not be converted at capture:
    its quote expired and the merchant refuses then, or there is no rate of the pair."""
    if terms.converts(currency):
        _rate_for(terms=terms, order_id=order_id, currency=currency, at=timezone.now())


def conversion_for_capture(
    *,
    terms: FxTerms,
    payment_id: int,
    order_id: int,
    currency: str,
    amount: int,
    card_bin: str = "",
    at: datetime,
) -> Conversion | None:
    """Write and return what a capture of ``amount`` settles as: converted into the merchant's
    settlement currency at the rate as of ``at`` (or the order's quote), with the merchant's FX
    markup and, for a card issued outside its country, its cross-border fee. Return None when
    neither applies (the payment settles as paid). Raise ``FxError`` when it cannot convert."""
    country = card_country(card_bin) if card_bin and terms.cross_border_fee_bps else ""
    abroad = bool(country) and country != terms.country
    if not terms.converts(currency) and not abroad:
        return None
    to_currency = terms.settlement_currency or currency
    conversion = Conversion(
        payment_id=payment_id,
        merchant_id=terms.merchant_id,
        presentment_currency=currency,
        presentment_amount=amount,
        settlement_currency=to_currency,
        settlement_amount=amount,
        rate=Decimal(1),
        card_country=country,
    )
    if to_currency != currency:
        rate, quote = _rate_for(terms=terms, order_id=order_id, currency=currency, at=at)
        conversion.rate, conversion.fixing_date = rate.rate, rate.fixing_date
        conversion.source, conversion.stale, conversion.quote = rate.source, rate.stale, quote
        conversion.settlement_amount = _quoted(
            amount=amount, rate=rate.rate, from_currency=currency, to_currency=to_currency
        )
        conversion.markup_bps = terms.markup_bps
        conversion.markup_amount = bps_of(conversion.settlement_amount, terms.markup_bps)
    if abroad:
        conversion.cross_border_fee_bps = terms.cross_border_fee_bps
        conversion.cross_border_fee = bps_of(
            conversion.settlement_amount, terms.cross_border_fee_bps
        )
    conversion.save()
    return conversion


def conversion_for_refund(
    *, refund_id: int, payment_id: int, amount: int, at: datetime
) -> RefundConversion | None:
    """Write and return the conversion back of a refund of ``amount`` (presentment minor units)
    of a converted payment: at the capture's rate for the merchant (the parts of any split add
    up to the capture's converted amount exactly), at the market rate of ``at`` for what the
    platform pays. None for a payment that was not converted. Run it under the payment lock."""
    conversion = Conversion.objects.filter(payment_id=payment_id).first()
    if conversion is None or not conversion.converted:
        return None
    before = conversion.refunds.aggregate(s=Sum("presentment_amount"))["s"] or 0
    exponents = {
        "from_exponent": exponent(conversion.presentment_currency),
        "to_exponent": exponent(conversion.settlement_currency),
    }
    book = convert_share(before=before, amount=amount, rate=conversion.rate, **exponents)
    try:
        market = rate_as_of(conversion.presentment_currency, conversion.settlement_currency, at)
    except RateUnavailable:
        # The shopper's money went back already: with no market rate the capture's stands in
        # (no gain or loss) rather than leaving a paid refund out of the books.
        market = RateAsOf(
            conversion.presentment_currency,
            conversion.settlement_currency,
            conversion.rate,
            None,
            "",
            True,
        )
    return RefundConversion.objects.create(
        refund_id=refund_id,
        conversion=conversion,
        presentment_amount=amount,
        settlement_currency=conversion.settlement_currency,
        settlement_amount=book,
        market_rate=market.rate,
        market_fixing_date=market.fixing_date,
        market_amount=convert(amount, rate=market.rate, **exponents),
    )
