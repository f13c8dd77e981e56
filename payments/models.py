"""Merchants, orders, payments, refunds, events and the OTP challenge.

Each state machine lives on its model as a django-fsm-2 ``FSMField(protected=True)``; only
services call the transition methods, inside the atomic block that also writes the event and
the ledger entry.
"""

import secrets
import string

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django_fsm import FSMField, FSMModelMixin, transition
from django_otp.models import CooldownMixin, ThrottlingMixin

_ALPHABET = string.ascii_letters + string.digits


def new_public_id(prefix: str) -> str:
    """Return an unguessable id such as ``pay_3kT9...`` (24 base62 characters, ~143 bits)."""
    return prefix + "_" + "".join(secrets.choice(_ALPHABET) for _ in range(24))


def new_merchant_id() -> str:
    return new_public_id("mer")


def new_key_id() -> str:
    return new_public_id("key")


def new_order_id() -> str:
    return new_public_id("ord")


def new_payment_id() -> str:
    return new_public_id("pay")


def new_attempt_id() -> str:
    return new_public_id("att")


def new_refund_id() -> str:
    return new_public_id("re")


def new_event_id() -> str:
    return new_public_id("evt")


def new_vault_token() -> str:
    return new_public_id("vlt")


def new_checkout_token() -> str:
    return secrets.token_urlsafe(32)


CURRENCY_CHECK = Q(currency__regex=r"^[A-Z]{3}$")


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
    fee_fixed = models.PositiveIntegerField(
        default=30,
        help_text="Fixed fee per captured payment, in the payment currency's minor units.",
    )
    live_enabled = models.BooleanField(default=False, help_text="May take live payments.")
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
        ]

    def __str__(self):
        return self.name


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


class Order(FSMModelMixin, models.Model):
    class Status(models.TextChoices):
        PENDING = "pending"
        PAID = "paid"
        PARTIALLY_REFUNDED = "partially_refunded"
        REFUNDED = "refunded"
        CANCELED = "canceled"
        EXPIRED = "expired"

    class CaptureMethod(models.TextChoices):
        AUTOMATIC = "automatic"
        MANUAL = "manual"

    # Orders whose payment was captured: paid, then perhaps refunded in part or in full.
    PAID_STATES = (Status.PAID, Status.PARTIALLY_REFUNDED, Status.REFUNDED)

    public_id = models.CharField(max_length=32, unique=True, default=new_order_id, editable=False)
    merchant = models.ForeignKey(Merchant, on_delete=models.PROTECT, related_name="orders")
    livemode = models.BooleanField(default=False)
    reference = models.CharField(max_length=100)
    amount = models.BigIntegerField(help_text="Minor units of the currency")
    currency = models.CharField(max_length=3)
    description = models.CharField(max_length=500, blank=True)
    customer_email = models.EmailField(blank=True)
    return_url = models.URLField(max_length=2000, blank=True)
    capture_method = models.CharField(
        max_length=16, choices=CaptureMethod.choices, default=CaptureMethod.AUTOMATIC
    )
    metadata = models.JSONField(default=dict, blank=True)
    status = FSMField(default=Status.PENDING, choices=Status.choices, protected=True)
    checkout_token = models.CharField(
        max_length=64, unique=True, default=new_checkout_token, editable=False
    )
    expires_at = models.DateTimeField()
    paid_at = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True, db_index=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["merchant", "reference"], name="order_reference_unique_per_merchant"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="order_amount_positive"),
            models.CheckConstraint(condition=CURRENCY_CHECK, name="order_currency_iso"),
        ]
        indexes = [models.Index(fields=["merchant", "status", "-created"])]

    def __str__(self):
        return f"{self.reference} ({self.public_id})"

    @transition(field=status, source=Status.PENDING, target=Status.PAID)
    def pay(self):
        pass

    @transition(
        field=status,
        source=[Status.PAID, Status.PARTIALLY_REFUNDED],
        target=Status.PARTIALLY_REFUNDED,
    )
    def refund_partially(self):
        pass

    @transition(
        field=status, source=[Status.PAID, Status.PARTIALLY_REFUNDED], target=Status.REFUNDED
    )
    def refund_fully(self):
        pass

    @transition(field=status, source=Status.PENDING, target=Status.CANCELED)
    def cancel(self):
        pass

    @transition(field=status, source=Status.PENDING, target=Status.EXPIRED)
    def expire(self):
        pass


class CardVault(models.Model):
    """A PAN, only ever stored encrypted (AES-GCM), addressed elsewhere by its token."""

    token = models.CharField(max_length=32, unique=True, default=new_vault_token, editable=False)
    key_id = models.CharField(max_length=32)
    nonce = models.BinaryField()
    ciphertext = models.BinaryField()
    fingerprint = models.CharField(max_length=64, db_index=True)
    brand = models.CharField(max_length=16)
    first6 = models.CharField(max_length=6)
    last4 = models.CharField(max_length=4)
    exp_month = models.PositiveSmallIntegerField()
    exp_year = models.PositiveSmallIntegerField()
    created = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"{self.brand} ••••{self.last4} ({self.token})"


ACTIVE_PAYMENT_STATUSES = (
    "processing",
    "requires_action",
    "authorized",
    "captured",
    "partially_refunded",
    "refunded",
)


def _waits_for_someone(payment: "Payment") -> bool:
    # In ``processing`` a bank transfer waits for the shopper's money; a card or wallet payment
    # there is being authorized, and only the institution's answer ends it.
    return (
        payment.status != Payment.Status.PROCESSING
        or payment.method_type == Payment.Method.BANK_TRANSFER
    )


class Payment(FSMModelMixin, models.Model):
    class Status(models.TextChoices):
        REQUIRES_PAYMENT_METHOD = "requires_payment_method"
        PROCESSING = "processing"
        REQUIRES_ACTION = "requires_action"
        AUTHORIZED = "authorized"
        CAPTURED = "captured"
        PARTIALLY_REFUNDED = "partially_refunded"
        REFUNDED = "refunded"
        DECLINED = "declined"
        CANCELED = "canceled"
        EXPIRED = "expired"

    class Method(models.TextChoices):
        CARD = "card"
        WALLET = "wallet"
        BANK_TRANSFER = "bank_transfer"

    # Payments whose money was taken: captured, then perhaps refunded in part or in full.
    CAPTURED_STATES = (Status.CAPTURED, Status.PARTIALLY_REFUNDED, Status.REFUNDED)

    public_id = models.CharField(max_length=32, unique=True, default=new_payment_id, editable=False)
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="payments")
    # Indexed by (merchant, status, -created) below, whose leading column serves every lookup.
    merchant = models.ForeignKey(
        Merchant, on_delete=models.PROTECT, related_name="payments", db_index=False
    )
    livemode = models.BooleanField(default=False)
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    capture_method = models.CharField(max_length=16, choices=Order.CaptureMethod.choices)
    method_type = models.CharField(max_length=16, choices=Method.choices)
    institution = models.CharField(max_length=40)
    # No index: no query looks a payment up by it (the institutions keep their own books).
    institution_reference = models.CharField(max_length=100, blank=True)
    # Vault entries are never deleted and no query goes from a card to its payments.
    card = models.ForeignKey(
        CardVault, null=True, blank=True, on_delete=models.PROTECT, db_index=False
    )
    card_brand = models.CharField(max_length=16, blank=True)
    # No index: the admin's "=card_last4" search is case-insensitive (UPPER(...)), within a
    # merchant's rows, where a plain btree index is not used.
    card_last4 = models.CharField(max_length=4, blank=True)
    card_exp_month = models.PositiveSmallIntegerField(null=True, blank=True)
    card_exp_year = models.PositiveSmallIntegerField(null=True, blank=True)
    wallet_phone = models.CharField(max_length=20, blank=True)
    transfer = models.JSONField(default=dict, blank=True, help_text="Bank-transfer instructions")
    status = FSMField(  # indexed by payment_status_idx (equality only, no LIKE companion)
        default=Status.REQUIRES_PAYMENT_METHOD,
        choices=Status.choices,
        protected=True,
    )
    decline_code = models.CharField(max_length=40, blank=True)
    decline_message = models.CharField(max_length=200, blank=True)
    amount_authorized = models.BigIntegerField(default=0)
    amount_captured = models.BigIntegerField(default=0)
    amount_refunded = models.BigIntegerField(default=0)
    authorized_at = models.DateTimeField(null=True, blank=True)
    authorization_expires_at = models.DateTimeField(null=True, blank=True)
    captured_at = models.DateTimeField(null=True, blank=True, db_index=True)
    canceled_at = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True, db_index=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(condition=CURRENCY_CHECK, name="payment_currency_iso"),
            models.CheckConstraint(
                condition=Q(amount_refunded__gte=0)
                & Q(amount_refunded__lte=F("amount_captured"))
                & Q(amount_captured__lte=F("amount_authorized"))
                & Q(amount_authorized__lte=F("amount")),
                name="payment_refunded_le_captured_le_authorized",
            ),
            # One payment at a time per order: a double-submitted form cannot charge twice.
            models.UniqueConstraint(
                fields=["order"],
                condition=Q(status__in=ACTIVE_PAYMENT_STATUSES),
                name="one_active_payment_per_order",
            ),
        ]
        indexes = [
            models.Index(fields=["merchant", "status", "-created"]),
            # Beat jobs: authorizations_expire, bank_transfers_expire, attempts_reconcile.
            models.Index(fields=["status"], name="payment_status_idx"),
        ]

    def __str__(self):
        return self.public_id

    @property
    def amount_refundable(self) -> int:
        return self.amount_captured - self.amount_refunded

    @property
    def awaiting_transfer(self) -> bool:
        """Return whether bank-transfer instructions are out and the money has not arrived."""
        return (
            self.status == self.Status.PROCESSING
            and self.method_type == self.Method.BANK_TRANSFER
            and bool(self.transfer)
        )

    @property
    def masked_card(self) -> str:
        return f"{self.card_brand.title()} •••• {self.card_last4}" if self.card_last4 else ""

    # --- transitions (DESIGN section 3) ---
    @transition(field=status, source=Status.REQUIRES_PAYMENT_METHOD, target=Status.PROCESSING)
    def start(self):
        pass

    @transition(field=status, source=Status.PROCESSING, target=Status.REQUIRES_ACTION)
    def require_action(self):
        pass

    @transition(field=status, source=Status.REQUIRES_ACTION, target=Status.PROCESSING)
    def resume(self):
        pass

    @transition(field=status, source=Status.PROCESSING, target=Status.AUTHORIZED)
    def authorize(self):
        pass

    @transition(
        field=status, source=[Status.PROCESSING, Status.REQUIRES_ACTION], target=Status.DECLINED
    )
    def decline(self):
        pass

    @transition(field=status, source=Status.AUTHORIZED, target=Status.CAPTURED)
    def capture(self):
        pass

    @transition(
        field=status,
        source=[Status.CAPTURED, Status.PARTIALLY_REFUNDED],
        target=Status.PARTIALLY_REFUNDED,
    )
    def refund_partially(self):
        pass

    @transition(
        field=status, source=[Status.CAPTURED, Status.PARTIALLY_REFUNDED], target=Status.REFUNDED
    )
    def refund_fully(self):
        pass

    # The merchant voids an authorization, or ends a challenge or a bank transfer still open.
    @transition(
        field=status,
        source=[Status.AUTHORIZED, Status.PROCESSING, Status.REQUIRES_ACTION],
        target=Status.CANCELED,
        conditions=[_waits_for_someone],
    )
    def void(self):
        pass

    # The shopper gives up a challenge or a bank transfer; an authorization is the merchant's.
    @transition(
        field=status,
        source=[Status.PROCESSING, Status.REQUIRES_ACTION],
        target=Status.CANCELED,
        conditions=[_waits_for_someone],
    )
    def abandon(self):
        pass

    @transition(
        field=status,
        source=[Status.AUTHORIZED, Status.PROCESSING, Status.REQUIRES_ACTION],
        target=Status.EXPIRED,
    )
    def expire(self):
        pass


class PaymentAttempt(models.Model):
    """One authorization request sent to an institution; its id is our idempotent reference."""

    class Outcome(models.TextChoices):
        PENDING = "pending", "Sent, no answer yet"
        APPROVED = "approved"
        DECLINED = "declined"
        CHALLENGE = "challenge", "Verification required"
        AWAITING_TRANSFER = "awaiting_transfer"
        ERROR = "error", "Institution error (nothing done)"
        UNKNOWN = "unknown", "Outcome unknown (being reconciled)"

    public_id = models.CharField(max_length=32, unique=True, default=new_attempt_id, editable=False)
    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="attempts")
    method_type = models.CharField(max_length=16, choices=Payment.Method.choices)
    masked_details = models.CharField(max_length=64, blank=True)
    institution = models.CharField(max_length=40)
    institution_reference = models.CharField(max_length=100, blank=True)
    authenticated = models.BooleanField(default=False)
    outcome = models.CharField(
        max_length=20, choices=Outcome.choices, default=Outcome.PENDING, db_index=True
    )
    decline_code = models.CharField(max_length=40, blank=True)
    message = models.CharField(max_length=200, blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["started_at", "id"]

    def __str__(self):
        return self.public_id

    @property
    def duration_ms(self) -> int | None:
        if not self.finished_at:
            return None
        return int((self.finished_at - self.started_at).total_seconds() * 1000)


class Refund(FSMModelMixin, models.Model):
    class Status(models.TextChoices):
        PENDING = "pending"
        SUCCEEDED = "succeeded"
        FAILED = "failed"

    public_id = models.CharField(max_length=32, unique=True, default=new_refund_id, editable=False)
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    merchant = models.ForeignKey(Merchant, on_delete=models.PROTECT, related_name="refunds")
    livemode = models.BooleanField(default=False)
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    reason = models.CharField(max_length=500, blank=True)
    status = FSMField(default=Status.PENDING, choices=Status.choices, protected=True, db_index=True)
    failure_code = models.CharField(max_length=40, blank=True)
    institution_reference = models.CharField(max_length=100, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created = models.DateTimeField(auto_now_add=True, db_index=True)
    processed_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["-created", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive"),
            models.CheckConstraint(condition=CURRENCY_CHECK, name="refund_currency_iso"),
        ]

    def __str__(self):
        return self.public_id

    @transition(field=status, source=Status.PENDING, target=Status.SUCCEEDED)
    def succeed(self):
        pass

    @transition(field=status, source=Status.PENDING, target=Status.FAILED)
    def fail(self):
        pass


class Event(models.Model):
    """Append-only record of a state change, written in the transaction that made it."""

    public_id = models.CharField(max_length=32, unique=True, default=new_event_id, editable=False)
    merchant = models.ForeignKey(Merchant, on_delete=models.PROTECT, related_name="events")
    livemode = models.BooleanField(default=False)
    type = models.CharField(max_length=64, db_index=True)
    object_type = models.CharField(max_length=32)
    object_id = models.CharField(max_length=32, db_index=True)
    sequence = models.PositiveIntegerField(help_text="Increases per object, for receivers to order")
    data = models.JSONField(help_text="The object as it was, in the API's representation")
    created = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["object_id", "sequence"], name="event_sequence_unique")
        ]
        indexes = [models.Index(fields=["merchant", "livemode", "-id"])]

    def __str__(self):
        return f"{self.type} {self.object_id} #{self.sequence}"


class _ChallengeBase(models.Model):
    """The base hooks django-otp's mixins call through ``super()`` (a Device would supply them)."""

    class Meta:
        abstract = True

    def verify_is_allowed(self):
        return True, None

    def generate_is_allowed(self):
        return True, None


class OtpChallenge(CooldownMixin, ThrottlingMixin, _ChallengeBase):
    """A one-time code sent to the holder; only its hash is kept.

    django-otp's mixins supply the back-off between wrong codes and the resend cooldown; the hard
    limits (3 wrong codes, 3 resends, 5 minutes) are ours.
    """

    class Status(models.TextChoices):
        PENDING = "pending"
        VERIFIED = "verified"
        FAILED = "failed"
        EXPIRED = "expired"

    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="otp_challenges")
    channel = models.CharField(max_length=10, default="sms")
    destination = models.CharField(max_length=200, help_text="Where codes are sent (not card data)")
    masked_destination = models.CharField(max_length=200)
    token_hash = models.CharField(max_length=64, blank=True)
    valid_until = models.DateTimeField()
    resend_count = models.PositiveSmallIntegerField(default=0)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created = models.DateTimeField(auto_now_add=True)
    verified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self):
        return f"OTP for {self.payment_id} ({self.status})"

    def get_throttle_factor(self):
        return settings.PAYMENTS_OTP_THROTTLE_FACTOR

    def get_cooldown_duration(self):
        return settings.PAYMENTS_OTP_RESEND_COOLDOWN

    @property
    def attempts_remaining(self) -> int:
        return max(0, settings.PAYMENTS_OTP_MAX_ATTEMPTS - self.throttling_failure_count)

    @property
    def resends_remaining(self) -> int:
        return max(0, settings.PAYMENTS_OTP_MAX_RESENDS - self.resend_count)


class OutboxMessage(models.Model):
    """An SMS or e-mail handed to the delivery channel; in sandbox mode the body is kept to read."""

    payment = models.ForeignKey(
        Payment, null=True, blank=True, on_delete=models.CASCADE, related_name="messages"
    )
    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="messages")
    livemode = models.BooleanField(default=False)
    channel = models.CharField(max_length=10)
    to = models.CharField(max_length=200)
    body = models.TextField()
    created = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created", "-id"]

    def __str__(self):
        return f"{self.channel} to {self.to}"


class IdempotencyRecord(models.Model):
    """The stored response of a mutating API call, replayed for the same key and body."""

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE)
    livemode = models.BooleanField(default=False)
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["merchant", "livemode", "key"], name="idempotency_key_unique"
            )
        ]

    def __str__(self):
        return self.key

    @property
    def completed(self) -> bool:
        return self.response_status is not None
