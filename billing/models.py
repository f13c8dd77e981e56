"""Customers of a merchant, the cards they saved (with the consent they gave), prices and
subscriptions."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django_fsm import FSMField, FSMModelMixin, transition
from django_otp.models import CooldownMixin, ThrottlingMixin

from payments.models import CURRENCY_CHECK, CardVault, Merchant, OutboxMessage, new_public_id
from payments.representations import iso_timestamp

# The engine's rows (clocks, dunning settings, charge attempts) live in their own module.
from .engine_models import BillingSettings, ChargeAttempt, Notice, TestClock


def new_customer_id() -> str:
    return new_public_id("cus")


def new_payment_method_id() -> str:
    return new_public_id("pm")


def new_price_id() -> str:
    return new_public_id("price")


def new_subscription_id() -> str:
    return new_public_id("sub")


class Customer(models.Model):
    """A merchant's customer in one mode; deleting one keeps the row (``deleted_at``) for the
    payments and invoices that name it."""

    public_id = models.CharField(
        max_length=32, unique=True, default=new_customer_id, editable=False
    )
    merchant = models.ForeignKey(Merchant, on_delete=models.PROTECT, related_name="customers")
    livemode = models.BooleanField(default=False)
    email = models.EmailField(max_length=254, blank=True)
    name = models.CharField(max_length=200, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    # A test-mode customer on a clock lives in the clock's time, not the wall clock's.
    test_clock = models.ForeignKey(
        TestClock, null=True, blank=True, on_delete=models.PROTECT, related_name="customers"
    )
    deleted_at = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True, db_index=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [models.Index(fields=["merchant", "livemode", "-created"])]

    def __str__(self):
        return f"{self.name or self.email or self.public_id}"

    def api_data(self) -> dict:
        return {
            "id": self.public_id,
            "object": "customer",
            "livemode": self.livemode,
            "email": self.email or None,
            "name": self.name or None,
            "metadata": self.metadata,
            "deleted": self.deleted_at is not None,
            "test_clock": self.test_clock.public_id if self.test_clock_id else None,
            "created": iso_timestamp(self.created),
        }


class PaymentMethod(FSMModelMixin, models.Model):
    """A card saved for a customer: the PAN stays in the vault, this row holds what may be
    shown, a fingerprint to recognise the card again, and the holder's consent.

    Saved by API, a card whose issuer verifies its holder is ``requires_action`` until the code
    sent to the holder is verified (``PaymentMethodVerification``); only ``active`` ones pay.
    """

    class Status(models.TextChoices):
        REQUIRES_ACTION = "requires_action"
        ACTIVE = "active"

    class Type(models.TextChoices):
        CARD = "card"

    class Usage(models.TextChoices):
        # on_session: the customer pays again while present; off_session: the merchant may
        # charge the card without them (renewals), which needs this consent.
        ON_SESSION = "on_session"
        OFF_SESSION = "off_session"

    public_id = models.CharField(
        max_length=32, unique=True, default=new_payment_method_id, editable=False
    )
    merchant = models.ForeignKey(Merchant, on_delete=models.PROTECT, related_name="payment_methods")
    livemode = models.BooleanField(default=False)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="payment_methods")
    type = models.CharField(max_length=16, choices=Type.choices, default=Type.CARD)
    # Vault entries are never deleted; the method only points at one.
    card = models.ForeignKey(CardVault, on_delete=models.PROTECT, db_index=False)
    card_brand = models.CharField(max_length=16)
    card_last4 = models.CharField(max_length=4)
    card_exp_month = models.PositiveSmallIntegerField()
    card_exp_year = models.PositiveSmallIntegerField()
    holder_name = models.CharField(max_length=100, blank=True)
    # HMAC-SHA256 of the PAN under a key of the merchant's own (billing.fingerprints).
    fingerprint = models.CharField(max_length=64)
    consent_text = models.TextField()
    consent_ip = models.GenericIPAddressField()
    consent_usage = models.CharField(max_length=16, choices=Usage.choices)
    consented_at = models.DateTimeField()
    status = FSMField(default=Status.ACTIVE, choices=Status.choices, protected=True)
    detached_at = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created", "-id"]
        constraints = [
            # The same card saved twice for one customer is the same method, even when two
            # requests race: the second INSERT fails and reads the first.
            models.UniqueConstraint(
                fields=["customer", "fingerprint"],
                condition=Q(detached_at__isnull=True),
                name="billing_pm_one_attached_per_card",
            ),
        ]

    def __str__(self):
        return f"{self.card_brand} •••• {self.card_last4}"

    @property
    def masked(self) -> str:
        return f"{self.card_brand} •••• {self.card_last4} {self.card_exp_month:02d}/{self.card_exp_year}"

    @transition(field=status, source=Status.REQUIRES_ACTION, target=Status.ACTIVE)
    def verify(self):
        """The holder entered the code the issuer asked for: the card may now be charged."""

    def next_action(self) -> dict | None:
        """How to verify a method ``requires_action``: where the code went and where to send it."""
        if self.status != self.Status.REQUIRES_ACTION:
            return None
        verification = getattr(self, "verification", None)
        path = f"/api/v1/customers/{self.customer.public_id}/payment-methods/{self.public_id}/otp"
        return {
            "type": "otp",
            "channel": verification.channel if verification else "sms",
            "masked_destination": verification.masked_destination if verification else None,
            "expires_at": iso_timestamp(verification.valid_until) if verification else None,
            "verify_url": path,
            "resend_url": f"{path}/resend",
        }

    def api_data(self) -> dict:
        return {
            "id": self.public_id,
            "object": "payment_method",
            "livemode": self.livemode,
            "type": self.type,
            "status": self.status,
            "next_action": self.next_action(),
            "customer": self.customer.public_id,
            "card": {
                "brand": self.card_brand,
                "last4": self.card_last4,
                "exp_month": self.card_exp_month,
                "exp_year": self.card_exp_year,
                "fingerprint": self.fingerprint,
            },
            "consent": {
                "usage": self.consent_usage,
                "text": self.consent_text,
                "accepted_at": iso_timestamp(self.consented_at),
            },
            "detached_at": iso_timestamp(self.detached_at),
            "created": iso_timestamp(self.created),
        }


class _ChallengeBase(models.Model):
    """The base hooks django-otp's mixins call through ``super()`` (a Device would supply them)."""

    class Meta:
        abstract = True

    def verify_is_allowed(self):
        return True, None

    def generate_is_allowed(self):
        return True, None


class PaymentMethodVerification(CooldownMixin, ThrottlingMixin, _ChallengeBase):
    """The code the issuer asked to send to the holder of a card saved by API; only its hash is
    kept. The limits are the payments' OTP ones (``PAYMENTS_OTP_*``): wrong codes, resends, life."""

    class Status(models.TextChoices):
        PENDING = "pending"
        VERIFIED = "verified"
        FAILED = "failed"

    method = models.OneToOneField(
        PaymentMethod, on_delete=models.CASCADE, related_name="verification"
    )
    channel = models.CharField(max_length=10, default="sms")
    destination = models.CharField(max_length=200, help_text="Where codes are sent (not card data)")
    masked_destination = models.CharField(max_length=200)
    token_hash = models.CharField(max_length=64, blank=True)
    valid_until = models.DateTimeField()
    resend_count = models.PositiveSmallIntegerField(default=0)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    # The last code sent (the sandbox shows it to the merchant's tests).
    message = models.ForeignKey(
        OutboxMessage, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)
    verified_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"verification of {self.method_id} ({self.status})"

    def get_throttle_factor(self):
        return settings.PAYMENTS_OTP_THROTTLE_FACTOR

    def get_cooldown_duration(self):
        return settings.PAYMENTS_OTP_RESEND_COOLDOWN

    @property
    def attempts_remaining(self) -> int:
        return max(0, settings.PAYMENTS_OTP_MAX_ATTEMPTS - self.throttling_failure_count)


class Price(models.Model):
    """What a subscription charges each period: an amount in minor units, every N intervals."""

    class Interval(models.TextChoices):
        DAY = "day"
        WEEK = "week"
        MONTH = "month"
        YEAR = "year"

    public_id = models.CharField(max_length=32, unique=True, default=new_price_id, editable=False)
    merchant = models.ForeignKey(Merchant, on_delete=models.PROTECT, related_name="prices")
    livemode = models.BooleanField(default=False)
    product_name = models.CharField(max_length=200)
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    interval = models.CharField(max_length=8, choices=Interval.choices)
    interval_count = models.PositiveSmallIntegerField(default=1)
    trial_days = models.PositiveSmallIntegerField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="billing_price_amount_positive"),
            models.CheckConstraint(condition=CURRENCY_CHECK, name="billing_price_currency_iso"),
            models.CheckConstraint(
                condition=Q(interval_count__gte=1), name="billing_price_interval_count_gte_1"
            ),
        ]
        indexes = [models.Index(fields=["merchant", "livemode", "-created"])]

    def __str__(self):
        return f"{self.product_name} {self.amount} {self.currency}/{self.interval}"

    def api_data(self) -> dict:
        return {
            "id": self.public_id,
            "object": "price",
            "livemode": self.livemode,
            "product_name": self.product_name,
            "amount": self.amount,
            "currency": self.currency,
            "interval": self.interval,
            "interval_count": self.interval_count,
            "trial_days": self.trial_days,
            "created": iso_timestamp(self.created),
        }


class Subscription(FSMModelMixin, models.Model):
    """A customer billed a price every period from the billing cycle anchor.

    The machine (DESIGN section 3): ``incomplete`` until the first payment, then ``trialing`` or
    ``active``; a failed renewal makes it ``past_due``, and dunning ends it ``unpaid`` or
    ``canceled``; ``paused`` stops billing until resumed.
    """

    class Status(models.TextChoices):
        INCOMPLETE = "incomplete"
        TRIALING = "trialing"
        ACTIVE = "active"
        PAST_DUE = "past_due"
        UNPAID = "unpaid"
        CANCELED = "canceled"
        PAUSED = "paused"

    public_id = models.CharField(
        max_length=32, unique=True, default=new_subscription_id, editable=False
    )
    merchant = models.ForeignKey(Merchant, on_delete=models.PROTECT, related_name="subscriptions")
    livemode = models.BooleanField(default=False)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="subscriptions")
    price = models.ForeignKey(Price, on_delete=models.PROTECT, related_name="subscriptions")
    payment_method = models.ForeignKey(
        PaymentMethod, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = FSMField(default=Status.INCOMPLETE, choices=Status.choices, protected=True)
    billing_cycle_anchor = models.DateTimeField()
    current_period_start = models.DateTimeField()
    current_period_end = models.DateTimeField()
    trial_end = models.DateTimeField(null=True, blank=True)
    cancel_at_period_end = models.BooleanField(default=False)
    canceled_at = models.DateTimeField(null=True, blank=True)
    # Billing time (the customer's clock) of the start, the end, the pause.
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    # The next moment the engine has work here (period end, upcoming notice, trial end,
    # expiry of an incomplete start, end of dunning); None when nothing is scheduled.
    due_at = models.DateTimeField(null=True, blank=True)
    # The period end whose ``invoice.upcoming`` notice was sent.
    upcoming_sent_for = models.DateTimeField(null=True, blank=True)
    # Dunning that waits for a new card (``after_update``) ends here if none comes.
    dunning_ends_at = models.DateTimeField(null=True, blank=True)
    # Proration credit (minor units of the price's currency) taken off the next invoices.
    credit_balance = models.BigIntegerField(default=0)
    created = models.DateTimeField(auto_now_add=True, db_index=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(credit_balance__gte=0), name="billing_sub_credit_not_negative"
            ),
        ]
        indexes = [
            models.Index(fields=["merchant", "livemode", "-created"]),
            # The renewal sweep: subscriptions with work due.
            models.Index(
                fields=["due_at"], condition=Q(due_at__isnull=False), name="billing_sub_due"
            ),
        ]

    def __str__(self):
        return self.public_id

    @property
    def next_billing_at(self):
        """When the next invoice is due, or None when the subscription no longer bills."""
        billing = (self.Status.ACTIVE, self.Status.TRIALING, self.Status.PAST_DUE)
        if self.status in billing and not self.cancel_at_period_end:
            return self.current_period_end
        return None

    def api_data(self, *, latest_invoice=None) -> dict:
        """The API's subscription; ``latest_invoice`` when the caller has just opened it."""
        latest = latest_invoice
        if latest is None and self.pk:
            latest = self.invoices.order_by("-created", "-id").first()
        return {
            "id": self.public_id,
            "object": "subscription",
            "livemode": self.livemode,
            "status": self.status,
            "customer": self.customer.public_id,
            "price": self.price.public_id,
            "payment_method": self.payment_method.public_id if self.payment_method_id else None,
            "billing_cycle_anchor": iso_timestamp(self.billing_cycle_anchor),
            "current_period_start": iso_timestamp(self.current_period_start),
            "current_period_end": iso_timestamp(self.current_period_end),
            "next_billing_at": iso_timestamp(self.next_billing_at),
            "trial_end": iso_timestamp(self.trial_end),
            "cancel_at_period_end": self.cancel_at_period_end,
            "canceled_at": iso_timestamp(self.canceled_at),
            "ended_at": iso_timestamp(self.ended_at),
            "paused_at": iso_timestamp(self.paused_at),
            "credit_balance": self.credit_balance,
            "currency": self.price.currency,
            "latest_invoice": latest.public_id if latest else None,
            "start_date": iso_timestamp(self.started_at),
            "created": iso_timestamp(self.created),
        }

    # --- the machine: only billing services call these, with the event in the same transaction

    @transition(field=status, source=Status.INCOMPLETE, target=Status.TRIALING)
    def start_trial(self):
        pass

    @transition(
        field=status,
        source=[Status.INCOMPLETE, Status.TRIALING, Status.PAST_DUE, Status.UNPAID],
        target=Status.ACTIVE,
    )
    def activate(self):
        """The first payment, the first after the trial, a retry, or a late payment succeeded."""

    @transition(field=status, source=[Status.ACTIVE, Status.TRIALING], target=Status.PAST_DUE)
    def mark_past_due(self):
        pass

    @transition(field=status, source=Status.PAST_DUE, target=Status.UNPAID)
    def mark_unpaid(self):
        pass

    @transition(
        field=status,
        source=[
            Status.INCOMPLETE,
            Status.TRIALING,
            Status.ACTIVE,
            Status.PAST_DUE,
            Status.UNPAID,
            Status.PAUSED,
        ],
        target=Status.CANCELED,
    )
    def cancel(self):
        pass

    @transition(field=status, source=Status.ACTIVE, target=Status.PAUSED)
    def pause(self):
        pass

    @transition(field=status, source=Status.PAUSED, target=Status.ACTIVE)
    def resume(self):
        pass


# Invoices live in their own module; importing them here registers them with the app.
class ShopperPasskey(models.Model):
    """A shopper's passkey for one saved card (WebAuthn, registered at the hosted checkout after
    an OTP verification): it verifies the holder of that card on later payments instead of an
    OTP code. Only the credential id and public key are kept; removing the card removes it."""

    payment_method = models.ForeignKey(
        PaymentMethod, on_delete=models.CASCADE, related_name="passkeys"
    )
    credential_id = models.CharField(max_length=1400, unique=True, help_text="base64url")
    public_key = models.BinaryField(help_text="COSE public key")
    sign_count = models.PositiveBigIntegerField(default=0)
    created = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created", "id"]

    def __str__(self):
        return f"passkey of {self.payment_method_id}"


from .invoice_models import Invoice, InvoiceLine, InvoicePayment, NumberSeries  # noqa: E402

__all__ = [
    "BillingSettings",
    "ChargeAttempt",
    "Customer",
    "Invoice",
    "InvoiceLine",
    "InvoicePayment",
    "Notice",
    "NumberSeries",
    "PaymentMethod",
    "Price",
    "Subscription",
    "TestClock",
]
