"""Merchants, their staff memberships and API keys."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from payments.branding import validate_brand_colour, validate_https_url

from .common import CURRENCY_CHECK, new_config_version, new_key_id, new_merchant_id


class Merchant(models.Model):
    public_id = models.CharField(
        max_length=32, unique=True, default=new_merchant_id, editable=False
    )
    name = models.CharField(max_length=200)
    country = models.CharField(max_length=2, default="US", help_text="ISO 3166 code; sets holidays")
    default_currency = models.CharField(max_length=3, default="USD")
    settlement_delay_days = models.PositiveSmallIntegerField(
        default=2, help_text="Payout this many business days after the cut-off (1-3)."
    )
    fee_bps = models.PositiveIntegerField(
        default=290, help_text="Percentage fee in basis points (290 = 2.90%)."
    )

    class PayoutSchedule(models.TextChoices):
        # automatic: each settlement batch is paid to the merchant's bank on its payout date;
        # manual: settled money stays in the balance, for the merchant's own bulk payouts.
        AUTOMATIC = "automatic"
        MANUAL = "manual"

    payout_schedule = models.CharField(
        max_length=16,
        choices=PayoutSchedule.choices,
        default=PayoutSchedule.AUTOMATIC,
        help_text="Automatic: settlements are paid out; manual: the balance is kept for bulk payouts.",
    )
    live_enabled = models.BooleanField(default=False, help_text="May take live payments.")
    # International (fx): blank settlement currency settles each currency as it was paid.
    settlement_currency = models.CharField(
        max_length=3,
        blank=True,
        help_text="ISO 4217 code captures are converted into; blank: each settles as paid.",
    )
    accepted_currencies = models.JSONField(
        default=list, blank=True, help_text="ISO codes orders may be in; empty: any we support."
    )
    fx_markup_bps = models.PositiveIntegerField(
        default=0, help_text="FX markup on converted captures, basis points (its own fee)."
    )
    cross_border_fee_bps = models.PositiveIntegerField(
        default=0, help_text="Fee on cards issued outside the merchant's country, basis points."
    )
    fx_refuse_expired_quotes = models.BooleanField(
        default=True,
        help_text="A payment after its FX quote expired is refused (else: live rate).",
    )
    # Dynamic currency conversion on the hosted checkout: a card in another currency than the
    # order's may pay in its own, at the reference rate plus ``dcc_markup_bps`` (the shopper's).
    dcc_enabled = models.BooleanField(
        default=False,
        help_text="Offer shoppers to pay in their card's currency at checkout (DCC).",
    )
    dcc_markup_bps = models.PositiveIntegerField(
        default=0, help_text="DCC markup the shopper pays on the reference rate, basis points."
    )
    # Changed (a new random token) by every writer of the merchant's configuration that other
    # apps keep (risk settings, rules and score models; webhook endpoints): the key under which
    # ``payments.config_cache`` keeps them, so a payment reads them without a query.
    config_version = models.CharField(max_length=16, default=new_config_version, editable=False)
    # The hosted checkout's header: the merchant's logo (an https address, shown beside its name)
    # and accent colour (the Pay button and links; dark enough for white text on it).
    brand_logo_url = models.URLField(
        max_length=500,
        blank=True,
        validators=[validate_https_url],
        help_text="Logo shown on the checkout header, an https:// address (optional).",
    )
    brand_color = models.CharField(
        max_length=7,
        blank=True,
        validators=[validate_brand_colour],
        help_text="Accent colour of the checkout as #rrggbb, dark enough for white text on it.",
    )
    is_demo = models.BooleanField(default=False, editable=False)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(settlement_delay_days__gte=1, settlement_delay_days__lte=3),
                name="merchant_settlement_delay_1_to_3",
            ),
            models.CheckConstraint(
                condition=Q(default_currency__regex=r"^[A-Z]{3}$"), name="merchant_currency_iso"
            ),
            models.CheckConstraint(
                condition=Q(settlement_currency="") | Q(settlement_currency__regex=r"^[A-Z]{3}$"),
                name="merchant_settlement_currency_iso",
            ),
            models.CheckConstraint(
                condition=Q(fx_markup_bps__lte=2000, cross_border_fee_bps__lte=2000),
                name="merchant_fx_bps_at_most_20_percent",
            ),
            models.CheckConstraint(
                condition=Q(dcc_markup_bps__lte=2000), name="merchant_dcc_bps_at_most_20_percent"
            ),
            models.CheckConstraint(
                condition=Q(brand_color="") | Q(brand_color__regex=r"^#[0-9a-fA-F]{6}$"),
                name="merchant_brand_color_hex",
            ),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        if kwargs.get("update_fields") is None:
            # A whole-row save never writes back a version read before a configuration change
            # (which would bring back the configuration cached under it): it takes a new one.
            self.config_version = new_config_version()
        super().save(*args, **kwargs)


class MerchantFixedFee(models.Model):
    """A merchant's own fixed fee per captured payment in one currency, in its minor units.

    Without one, the currency's default from ``payments.money.CURRENCIES`` applies.
    """

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="fixed_fees")
    currency = models.CharField(max_length=3)
    amount = models.BigIntegerField(help_text="Minor units of the currency (JPY 40 is ¥40).")

    class Meta:
        ordering = ["merchant", "currency"]
        verbose_name = "fixed fee"
        constraints = [
            models.UniqueConstraint(
                fields=["merchant", "currency"], name="merchant_fixed_fee_one_per_currency"
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="merchant_fixed_fee_gte_0"),
            models.CheckConstraint(condition=CURRENCY_CHECK, name="merchant_fixed_fee_currency"),
        ]

    def __str__(self):
        return f"{self.merchant} {self.currency} {self.amount}"


class MerchantMembership(models.Model):
    class Role(models.TextChoices):
        VIEWER = "viewer", "Viewer"
        MANAGER = "manager", "Manager"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.VIEWER)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "merchant"], name="one_membership_per_merchant")
        ]

    def __str__(self):
        return f"{self.user} @ {self.merchant} ({self.role})"


class ApiKey(models.Model):
    public_id = models.CharField(max_length=32, unique=True, default=new_key_id, editable=False)
    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100, blank=True)
    livemode = models.BooleanField(default=False)
    prefix = models.CharField(max_length=20, help_text="First characters, to recognise the key")
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]
        verbose_name = "API key"

    def __str__(self):
        return f"{self.prefix}… ({self.name or self.public_id})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
