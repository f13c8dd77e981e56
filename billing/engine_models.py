"""The billing engine's own rows: test clocks, each merchant's dunning settings, and every
charge attempt of an invoice with its decline code.

Kept beside ``models.py`` (imported there) so the engine's tables read as one piece.
"""

from django.db import models
from django.db.models import Q

from payments.models import Merchant, new_public_id
from payments.representations import iso_timestamp


def new_test_clock_id() -> str:
    return new_public_id("clock")


def new_charge_attempt_id() -> str:
    return new_public_id("chatt")


class TestClock(models.Model):
    """Sandbox time: customers created on a clock live at its ``frozen_time``; advancing it
    runs, in order, every renewal, retry, trial end and expiry due up to the new time."""

    __test__ = False  # not a pytest test class, whatever its name says

    class Status(models.TextChoices):
        READY = "ready"
        ADVANCING = "advancing"

    public_id = models.CharField(
        max_length=32, unique=True, default=new_test_clock_id, editable=False
    )
    merchant = models.ForeignKey(Merchant, on_delete=models.PROTECT, related_name="test_clocks")
    name = models.CharField(max_length=200, blank=True)
    frozen_time = models.DateTimeField()
    # Where an advance is going; frozen_time reaches it when the advance is done.
    advance_to = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.READY)
    created = models.DateTimeField(auto_now_add=True, db_index=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [models.Index(fields=["merchant", "-created"])]

    def __str__(self):
        return self.public_id

    @property
    def livemode(self) -> bool:
        return False  # clocks exist in test mode only

    def api_data(self) -> dict:
        return {
            "id": self.public_id,
            "object": "test_clock",
            "livemode": False,
            "name": self.name or None,
            "frozen_time": iso_timestamp(self.frozen_time),
            "status": self.status,
            "advancing_to": iso_timestamp(self.advance_to),
            "created": iso_timestamp(self.created),
        }


class BillingSettings(models.Model):
    """A merchant's dunning policy; a merchant without a row gets the defaults in settings
    (``BILLING_RETRY_SCHEDULE_DAYS``, ``BILLING_DUNNING_FINAL_STATUS``)."""

    class FinalStatus(models.TextChoices):
        UNPAID = "unpaid"
        CANCELED = "canceled"

    merchant = models.OneToOneField(
        Merchant, on_delete=models.CASCADE, related_name="billing_settings"
    )
    # Days after the first failed charge of an invoice at which it is tried again.
    retry_schedule_days = models.JSONField(default=list)
    final_status = models.CharField(max_length=16, choices=FinalStatus.choices)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "billing settings"

    def __str__(self):
        return f"billing settings of {self.merchant_id}"


class ChargeAttempt(models.Model):
    """One off-session charge of an invoice with the subscription's saved card.

    ``idempotency_key`` (invoice id + attempt number) is the reference of the order the charge
    pays: the order's unique reference lets one worker, never two, charge an attempt.
    """

    class Status(models.TextChoices):
        PENDING = "pending"
        SUCCEEDED = "succeeded"
        FAILED = "failed"

    class Category(models.TextChoices):
        RETRY_LATER = "retry_later"
        AFTER_UPDATE = "after_update"
        NEVER = "never"

    public_id = models.CharField(
        max_length=32, unique=True, default=new_charge_attempt_id, editable=False
    )
    merchant = models.ForeignKey(Merchant, on_delete=models.PROTECT, related_name="+")
    livemode = models.BooleanField(default=False)
    invoice = models.ForeignKey(
        "billing.Invoice", on_delete=models.PROTECT, related_name="charge_attempts"
    )
    subscription = models.ForeignKey(
        "billing.Subscription", on_delete=models.PROTECT, related_name="charge_attempts"
    )
    payment_method = models.ForeignKey(
        "billing.PaymentMethod", on_delete=models.PROTECT, related_name="charge_attempts"
    )
    # The card's fingerprint at the time: the per-card cap counts attempts by card.
    card_fingerprint = models.CharField(max_length=64)
    number = models.PositiveSmallIntegerField()
    idempotency_key = models.CharField(max_length=64, unique=True)
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    decline_code = models.CharField(max_length=64, blank=True)
    decline_category = models.CharField(max_length=16, choices=Category.choices, blank=True)
    order_id_public = models.CharField(max_length=32, blank=True)
    payment_id_public = models.CharField(max_length=32, blank=True)
    # Billing time (the customer's test clock in sandbox time travel).
    attempted_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["invoice", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["invoice", "number"], name="billing_charge_attempt_number"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="billing_charge_positive"),
        ]
        indexes = [
            models.Index(fields=["merchant", "card_fingerprint", "attempted_at"]),
            models.Index(fields=["status", "created"]),
        ]

    def __str__(self):
        return self.idempotency_key

    def api_data(self) -> dict:
        return {
            "id": self.public_id,
            "object": "charge_attempt",
            "invoice": self.invoice.public_id,
            "number": self.number,
            "status": self.status,
            "amount": self.amount,
            "currency": self.currency,
            "payment_method": self.payment_method.public_id,
            "payment": self.payment_id_public or None,
            "decline_code": self.decline_code or None,
            "decline_category": self.decline_category or None,
            "attempted_at": iso_timestamp(self.attempted_at),
        }


class Notice(models.Model):
    """An e-mail to a customer (receipt, failed payment, upcoming renewal): written in the
    transaction that causes it, sent by a task on commit and found again by the sweep."""

    class Kind(models.TextChoices):
        RECEIPT = "receipt"
        PAYMENT_FAILED = "payment_failed"
        UPCOMING = "upcoming"

    merchant = models.ForeignKey(Merchant, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    subscription = models.ForeignKey(
        "billing.Subscription", on_delete=models.PROTECT, related_name="notices"
    )
    invoice = models.ForeignKey(
        "billing.Invoice", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # What makes it one notice: the same key again is the same e-mail, sent once.
    key = models.CharField(max_length=120, unique=True)
    to_email = models.EmailField(max_length=254)
    sent_at = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [
            models.Index(
                fields=["created"], condition=Q(sent_at__isnull=True), name="billing_notice_unsent"
            )
        ]

    def __str__(self):
        return f"{self.kind} to {self.subscription_id}"
