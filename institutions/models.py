"""The sandbox institutions' own books: accounts, per-currency balances, holds, movements,
bank transfers and the record of every authorize call by the caller's reference."""

from django.db import models
from django.db.models import F, Q
from django_fsm import FSMField, FSMModelMixin, transition


class SandboxOwner(models.Model):
    """Whose sandbox: one world of the published accounts per caller's key, opened on first use.

    The key is opaque to the institutions (``payments`` passes the merchant's public id); the
    empty key is the shared sandbox every merchant used before each had their own.
    """

    key = models.CharField(max_length=64, unique=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    reset_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.key or "shared sandbox"


class SandboxAccount(models.Model):
    class Kind(models.TextChoices):
        CARD = "card", "Card"
        WALLET = "wallet", "E-wallet"

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        BLOCKED = "blocked", "Blocked"
        EXPIRED = "expired", "Expired"
        LOST = "lost", "Lost"
        STOLEN = "stolen", "Stolen"
        CLOSED = "closed", "Closed"

    class CardType(models.TextChoices):
        NONE = "", "—"
        CREDIT = "credit", "Credit"
        DEBIT = "debit", "Debit"

    class Verification(models.TextChoices):
        NEVER = "never", "Never"
        FIRST_PAYMENT = "first_payment", "First payment"
        EVERY_PAYMENT = "every_payment", "Every payment"

    class Behaviour(models.TextChoices):
        NONE = "none", "None"
        CVC_MISMATCH = "cvc_mismatch", "Issuer reports a CVC mismatch"
        PROCESSING_ERROR = "processing_error", "Issuer fails to process"

    owner = models.ForeignKey(SandboxOwner, on_delete=models.PROTECT, related_name="accounts")
    institution = models.CharField(max_length=40, db_index=True)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    label = models.CharField(max_length=80, blank=True)
    brand = models.CharField(max_length=20, blank=True)
    card_type = models.CharField(max_length=10, choices=CardType.choices, blank=True)
    # HMAC-SHA256 of the PAN (see institutions.cards); the PAN itself is never stored.
    fingerprint = models.CharField(max_length=64, null=True, blank=True)
    last4 = models.CharField(max_length=4, blank=True)
    phone = models.CharField(max_length=20, help_text="Wallet number, and the OTP destination.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    verification = models.CharField(
        max_length=20, choices=Verification.choices, default=Verification.NEVER
    )
    behaviour = models.CharField(max_length=20, choices=Behaviour.choices, default=Behaviour.NONE)
    funds_major = models.BigIntegerField(
        help_text="Balance (debit, wallet) or credit limit, in major units of every currency."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["institution", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(funds_major__gte=0), name="sbx_account_funds_gte_0"),
            models.CheckConstraint(
                condition=Q(kind="wallet") | Q(fingerprint__isnull=False),
                name="sbx_account_card_has_fingerprint",
            ),
            models.UniqueConstraint(
                fields=["owner", "fingerprint"], name="sbx_account_unique_card_per_owner"
            ),
            models.UniqueConstraint(
                fields=["owner", "phone"],
                condition=Q(kind="wallet"),
                name="sbx_account_unique_wallet_per_owner",
            ),
        ]

    def __str__(self) -> str:
        if self.kind == self.Kind.WALLET:
            return f"{self.institution} wallet …{self.phone[-4:]}"
        return f"{self.institution} {self.brand} •••• {self.last4}"


class SandboxBalance(models.Model):
    """Opening funds of an account in one currency, created on its first use."""

    account = models.ForeignKey(SandboxAccount, on_delete=models.CASCADE, related_name="balances")
    currency = models.CharField(max_length=3)
    currency_exponent = models.PositiveSmallIntegerField()
    opening_amount = models.BigIntegerField()
    # Running totals, changed with every hold, capture, void and refund under the account's row
    # lock (institutions.services): available funds are read from this row, not summed.
    held = models.BigIntegerField(default=0, help_text="Active holds.")
    debited = models.BigIntegerField(default=0, help_text="Captured debits.")
    refunded = models.BigIntegerField(default=0, help_text="Refunds credited back.")
    # What resets added back: spent money is never un-debited (the movements stay the history),
    # the account is credited instead, so the totals still match the holds and movements.
    reset_credit = models.BigIntegerField(default=0, help_text="Funds restored by resets.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "currency"], name="sbx_balance_unique"),
            models.CheckConstraint(
                condition=Q(opening_amount__gte=0), name="sbx_balance_opening_gte_0"
            ),
            models.CheckConstraint(
                condition=Q(held__gte=0, debited__gte=0, refunded__gte=0, reset_credit__gte=0)
                & Q(refunded__lte=F("debited"))
                & Q(
                    opening_amount__gte=F("held") + F("debited") - F("refunded") - F("reset_credit")
                ),
                name="sbx_balance_totals_within_funds",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account} {self.currency}"

    @property
    def available_amount(self) -> int:
        """Opening funds + reset credit − active holds − captured debits + refunds credited."""
        return self.opening_amount + self.reset_credit - self.held - self.debited + self.refunded


class SandboxHold(FSMModelMixin, models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        CAPTURED = "captured", "Captured"
        VOIDED = "voided", "Voided"

    account = models.ForeignKey(SandboxAccount, on_delete=models.PROTECT, related_name="holds")
    reference = models.CharField(max_length=100, unique=True, help_text="The caller's reference.")
    institution_reference = models.CharField(max_length=40, unique=True)
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    status = FSMField(max_length=10, choices=Status.choices, default=Status.ACTIVE, protected=True)
    amount_captured = models.BigIntegerField(default=0)
    amount_refunded = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-pk"]
        indexes = [models.Index(fields=["account", "currency", "status"])]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="sbx_hold_amount_gt_0"),
            models.CheckConstraint(
                condition=Q(amount_captured__gte=0, amount_captured__lte=F("amount")),
                name="sbx_hold_captured_lte_amount",
            ),
            models.CheckConstraint(
                condition=Q(amount_refunded__gte=0, amount_refunded__lte=F("amount_captured")),
                name="sbx_hold_refunded_lte_captured",
            ),
        ]

    def __str__(self) -> str:
        return self.institution_reference

    @transition(field=status, source=Status.ACTIVE, target=Status.CAPTURED)
    def capture(self, amount: int) -> None:
        """Debit ``amount`` of the hold; the rest stops counting against the funds."""
        self.amount_captured = amount

    @transition(field=status, source=Status.ACTIVE, target=Status.VOIDED)
    def void(self) -> None:
        """Release the whole hold."""


class SandboxTransfer(FSMModelMixin, models.Model):
    """A virtual bank account opened for one payment, waiting for the shopper's transfer."""

    class Status(models.TextChoices):
        AWAITING = "awaiting", "Awaiting transfer"
        RECEIVED = "received", "Received"
        CAPTURED = "captured", "Captured"
        CLOSED = "closed", "Closed unpaid"

    reference = models.CharField(max_length=100, unique=True, help_text="The caller's reference.")
    institution_reference = models.CharField(max_length=40, unique=True)
    transfer_reference = models.CharField(max_length=20, unique=True)
    bank_name = models.CharField(max_length=80)
    account_number = models.CharField(max_length=34)
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    status = FSMField(
        max_length=10, choices=Status.choices, default=Status.AWAITING, protected=True
    )
    expires_at = models.DateTimeField()
    received_at = models.DateTimeField(null=True, blank=True)
    amount_captured = models.BigIntegerField(default=0)
    amount_refunded = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="sbx_transfer_amount_gt_0"),
            models.CheckConstraint(
                condition=Q(amount_captured__gte=0, amount_captured__lte=F("amount")),
                name="sbx_transfer_captured_lte_amount",
            ),
            models.CheckConstraint(
                condition=Q(amount_refunded__gte=0, amount_refunded__lte=F("amount")),
                name="sbx_transfer_refunded_lte_amount",
            ),
        ]

    def __str__(self) -> str:
        return self.transfer_reference

    @transition(field=status, source=Status.AWAITING, target=Status.RECEIVED)
    def receive(self, received_at) -> None:
        self.received_at = received_at

    @transition(field=status, source=Status.RECEIVED, target=Status.CAPTURED)
    def capture(self, amount: int) -> None:
        self.amount_captured = amount

    @transition(field=status, source=Status.AWAITING, target=Status.CLOSED)
    def close(self) -> None:
        """Close the virtual account unpaid."""

    @property
    def refundable_amount(self) -> int:
        """Return what may still be refunded: the captured amount, or all received if uncaptured."""
        if self.status == self.Status.CAPTURED:
            return self.amount_captured - self.amount_refunded
        if self.status == self.Status.RECEIVED:
            return self.amount - self.amount_refunded
        return 0


class SandboxMovement(models.Model):
    """Money that moved: a captured debit, a refund, or a bank transfer in or back out."""

    class Kind(models.TextChoices):
        DEBIT = "debit", "Debit (capture)"
        REFUND = "refund", "Refund"
        TRANSFER_IN = "transfer_in", "Transfer received"
        TRANSFER_REFUND = "transfer_refund", "Transfer refunded"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    account = models.ForeignKey(
        SandboxAccount, on_delete=models.PROTECT, null=True, blank=True, related_name="movements"
    )
    hold = models.ForeignKey(
        SandboxHold, on_delete=models.PROTECT, null=True, blank=True, related_name="movements"
    )
    transfer = models.ForeignKey(
        SandboxTransfer, on_delete=models.PROTECT, null=True, blank=True, related_name="movements"
    )
    reference = models.CharField(max_length=100, blank=True, help_text="The caller's reference.")
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-pk"]
        indexes = [models.Index(fields=["account", "currency", "kind"])]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="sbx_movement_amount_gt_0"),
            models.CheckConstraint(
                condition=(Q(hold__isnull=False, account__isnull=False, transfer__isnull=True))
                | (Q(hold__isnull=True, account__isnull=True, transfer__isnull=False)),
                name="sbx_movement_hold_xor_transfer",
            ),
            models.UniqueConstraint(
                fields=["kind", "reference"],
                condition=~Q(reference=""),
                name="sbx_movement_unique_reference",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount} {self.currency}"


class SandboxAuthorization(models.Model):
    """What an authorize call under a reference was answered: replayed on a repeat, and by lookup."""

    class Decision(models.TextChoices):
        APPROVED = "approved", "Approved"
        DECLINED = "declined", "Declined"
        CHALLENGE = "challenge", "Challenge"
        PENDING = "pending", "Pending"

    institution = models.CharField(max_length=40)
    reference = models.CharField(max_length=100, unique=True)
    account = models.ForeignKey(
        SandboxAccount, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    hold = models.OneToOneField(
        SandboxHold, on_delete=models.PROTECT, null=True, blank=True, related_name="authorization"
    )
    transfer = models.OneToOneField(
        SandboxTransfer,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="authorization",
    )
    method_type = models.CharField(max_length=20)
    merchant_id = models.CharField(max_length=40, blank=True, help_text="Who asked to be paid.")
    merchant_name = models.CharField(max_length=200, blank=True)
    description = models.CharField(max_length=200, blank=True, help_text="The merchant's order.")
    amount = models.BigIntegerField(help_text="Amount asked for.")
    currency = models.CharField(max_length=3)
    authenticated = models.BooleanField(default=False)
    decision = models.CharField(max_length=10, choices=Decision.choices)
    decline_code = models.CharField(max_length=40, blank=True)
    message = models.CharField(max_length=200, blank=True)
    challenge_channel = models.CharField(max_length=10, blank=True)
    challenge_destination = models.CharField(max_length=40, blank=True)
    challenge_masked_destination = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-pk"]

    def __str__(self) -> str:
        return f"{self.reference}: {self.decision}"
