"""FX: reference rates, merchants' FX settings, quotes, and the conversion of each capture.

``fx`` imports no app above it: merchants, orders, payments and refunds are named by lazy
foreign keys (``"payments.Merchant"``), which are table references, not imports.
"""

from __future__ import annotations

import secrets
import string
from datetime import timedelta

from django.db import models
from django.db.models import F, Q

_ALPHABET = string.ascii_letters + string.digits
CURRENCY = Q(currency__regex=r"^[A-Z]{3}$")
RATE = {"max_digits": 30, "decimal_places": 12}


def new_quote_id() -> str:
    """Return an unguessable quote id such as ``fxq_3kT9...`` (24 base62 characters)."""
    return "fxq_" + "".join(secrets.choice(_ALPHABET) for _ in range(24))


def _iso(field: str) -> Q:
    return Q(**{f"{field}__regex": r"^[A-Z]{3}$"})


class RateSnapshot(models.Model):
    """One published fixing: 1 ``base`` = ``rate`` ``quote`` on ``fixing_date`` by ``source``.

    The ECB publishes EUR-based reference rates once per TARGET business day; other pairs are
    crossed through EUR when asked (``fx.rates.rate_as_of``).
    """

    source = models.CharField(max_length=16, default="ecb")
    base = models.CharField(max_length=3)
    quote = models.CharField(max_length=3)
    rate = models.DecimalField(**RATE)
    fixing_date = models.DateField()
    fetched_at = models.DateTimeField()

    class Meta:
        ordering = ["-fixing_date", "base", "quote"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "base", "quote", "fixing_date"], name="fx_rate_one_per_fixing"
            ),
            models.CheckConstraint(condition=Q(rate__gt=0), name="fx_rate_positive"),
            models.CheckConstraint(condition=_iso("base") & _iso("quote"), name="fx_rate_iso"),
        ]
        indexes = [models.Index(fields=["base", "quote", "-fixing_date"], name="fx_rate_pair")]

    def __str__(self):
        return f"{self.source} {self.base}/{self.quote} {self.rate} on {self.fixing_date}"


class Quote(models.Model):
    """A rate locked for a while: an order that names it converts at it until ``expires_at``."""

    class Lock(models.TextChoices):
        FIVE_MINUTES = "5m", "5 minutes"
        ONE_HOUR = "1h", "1 hour"
        ONE_DAY = "24h", "24 hours"

    LOCKS = {"5m": timedelta(minutes=5), "1h": timedelta(hours=1), "24h": timedelta(hours=24)}

    public_id = models.CharField(max_length=32, unique=True, default=new_quote_id, editable=False)
    merchant = models.ForeignKey(
        "payments.Merchant", on_delete=models.PROTECT, related_name="fx_quotes"
    )
    livemode = models.BooleanField(default=False)
    from_currency = models.CharField(max_length=3)
    to_currency = models.CharField(max_length=3)
    amount = models.BigIntegerField(help_text="Minor units of from_currency")
    rate = models.DecimalField(**RATE, help_text="Reference rate, without the markup")
    fixing_date = models.DateField()
    source = models.CharField(max_length=16)
    converted_amount = models.BigIntegerField(help_text="Minor units of to_currency")
    markup_bps = models.PositiveIntegerField()
    markup_amount = models.BigIntegerField(help_text="Minor units of to_currency")
    lock = models.CharField(max_length=4, choices=Lock.choices, default=Lock.FIVE_MINUTES)
    expires_at = models.DateTimeField()
    order = models.OneToOneField(
        "payments.Order",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="fx_quote",
    )
    # A dynamic currency conversion offer of the hosted checkout: the order's amount into the
    # shopper's card currency, ``markup_amount`` (the DCC markup) on top; ``payment`` took it.
    dcc_order = models.ForeignKey(
        "payments.Order",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="dcc_offers",
    )
    payment = models.OneToOneField(
        "payments.Payment",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="dcc_quote",
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="fx_quote_amount_positive"),
            models.CheckConstraint(
                condition=_iso("from_currency") & _iso("to_currency"), name="fx_quote_iso"
            ),
        ]

    def __str__(self):
        return self.public_id

    @property
    def total_amount(self) -> int:
        """What a DCC shopper pays: the converted amount and the markup (minor units of
        ``to_currency``)."""
        return self.converted_amount + self.markup_amount


class Conversion(models.Model):
    """What a captured payment settles as: its amount in the merchant's settlement currency at
    the rate as of capture (or its quote's), the FX markup and the cross-border fee.

    Written at capture for a payment in another currency than the merchant settles in, or one
    whose card was issued abroad; a payment without one settles as it was paid.
    """

    payment = models.OneToOneField(
        "payments.Payment", on_delete=models.PROTECT, related_name="fx_conversion"
    )
    merchant = models.ForeignKey(
        "payments.Merchant", on_delete=models.PROTECT, related_name="fx_conversions"
    )
    presentment_currency = models.CharField(max_length=3)
    presentment_amount = models.BigIntegerField(help_text="Captured, minor units")
    settlement_currency = models.CharField(max_length=3)
    settlement_amount = models.BigIntegerField(help_text="Converted at the reference rate")
    rate = models.DecimalField(**RATE, help_text="1 presentment unit in settlement units")
    fixing_date = models.DateField(null=True, blank=True)
    source = models.CharField(max_length=16, blank=True, help_text='"ecb", "quote" or ""')
    stale = models.BooleanField(default=False)
    quote = models.ForeignKey(
        Quote, null=True, blank=True, on_delete=models.PROTECT, related_name="conversions"
    )
    markup_bps = models.PositiveIntegerField(default=0)
    markup_amount = models.BigIntegerField(default=0, help_text="Settlement currency")
    card_country = models.CharField(max_length=2, blank=True)
    cross_border_fee_bps = models.PositiveIntegerField(default=0)
    cross_border_fee = models.BigIntegerField(default=0, help_text="Settlement currency")
    # A payment made in the card's currency by DCC: the markup the shopper paid (platform's).
    dcc_markup_bps = models.PositiveIntegerField(default=0)
    dcc_markup_amount = models.BigIntegerField(default=0, help_text="Presentment currency")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(presentment_amount__gt=0, settlement_amount__gte=0)
                & Q(markup_amount__gte=0, cross_border_fee__gte=0)
                & Q(dcc_markup_amount__gte=0, dcc_markup_amount__lte=F("presentment_amount")),
                name="fx_conversion_amounts",
            ),
            models.CheckConstraint(
                condition=_iso("presentment_currency") & _iso("settlement_currency"),
                name="fx_conversion_iso",
            ),
        ]

    def __str__(self):
        return (
            f"{self.presentment_currency}→{self.settlement_currency} of payment {self.payment_id}"
        )

    @property
    def converted(self) -> bool:
        return self.presentment_currency != self.settlement_currency


class RefundConversion(models.Model):
    """A refund of a converted payment: taken from the merchant at the capture's rate, paid back
    at the market rate of the day; the difference is the platform's FX gain or loss."""

    refund = models.OneToOneField(
        "payments.Refund", on_delete=models.PROTECT, related_name="fx_conversion"
    )
    conversion = models.ForeignKey(Conversion, on_delete=models.PROTECT, related_name="refunds")
    presentment_amount = models.BigIntegerField()
    settlement_currency = models.CharField(max_length=3)
    settlement_amount = models.BigIntegerField(help_text="At the capture's rate")
    market_rate = models.DecimalField(**RATE)
    market_fixing_date = models.DateField(null=True, blank=True)
    market_amount = models.BigIntegerField(help_text="At the market rate of the refund")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(presentment_amount__gt=0, settlement_amount__gte=0),
                name="fx_refund_conversion_amounts",
            ),
        ]

    def __str__(self):
        return f"FX of refund {self.refund_id}"

    @property
    def gain_loss(self) -> int:
        """The platform's FX result in the settlement currency: positive a gain, negative a loss."""
        return self.settlement_amount - self.market_amount
