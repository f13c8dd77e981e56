"""Payments, their attempts at an institution, and the card vault they point at."""

from django.db import models
from django.db.models import F, Q
from django_fsm import FSMField, FSMModelMixin, transition

from .common import CURRENCY_CHECK, new_attempt_id, new_payment_id, new_vault_token
from .merchants import Merchant
from .orders import Order


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
    #: How the holder was verified ("otp" or "passkey"); blank when no challenge was passed.
    authentication_method = models.CharField(max_length=16, blank=True)
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
    #: How the holder was verified for this attempt ("otp" or "passkey"), if they were.
    authentication_method = models.CharField(max_length=16, blank=True)
    #: The passkey's credential id (base64url) when a passkey verified the holder.
    authentication_reference = models.CharField(max_length=1400, blank=True)
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
