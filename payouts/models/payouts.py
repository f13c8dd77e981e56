"""Recipients, payout batches and their items.

A batch is prepared (by the API or a CSV upload in the admin), approved by another person in the
admin (which holds its total in the ledger), sent to the bank (a SEPA pain.001 file for EUR), and
its items end ``paid``, ``failed`` or ``returned`` as the bank reports them.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django_fsm import FSMField, FSMModelMixin, transition

from payments.models import Merchant, new_public_id
from payments.representations import iso_timestamp


def new_recipient_id() -> str:
    return new_public_id("rcp")


def new_payout_batch_id() -> str:
    return new_public_id("pob")


def new_payout_item_id() -> str:
    return new_public_id("poi")


CURRENCY_CHECK = Q(currency__regex=r"^[A-Z]{3}$")


class Recipient(models.Model):
    """A supplier's bank account, one per merchant, mode, IBAN and currency."""

    public_id = models.CharField(
        max_length=32, unique=True, default=new_recipient_id, editable=False
    )
    merchant = models.ForeignKey(
        Merchant, on_delete=models.PROTECT, related_name="payout_recipients"
    )
    livemode = models.BooleanField(default=False)
    name = models.CharField(max_length=70, help_text="As the bank transfer names the creditor")
    iban = models.CharField(max_length=34, help_text="Compact, checked with schwifty")
    bic = models.CharField(max_length=11, blank=True)
    country = models.CharField(max_length=2, help_text="ISO 3166, from the IBAN")
    currency = models.CharField(max_length=3)
    created = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["merchant", "livemode", "iban", "currency"],
                name="payouts_recipient_one_per_account",
            ),
            models.CheckConstraint(condition=CURRENCY_CHECK, name="payouts_recipient_currency"),
        ]

    def __str__(self):
        return f"{self.name} {self.iban[:4]}…{self.iban[-4:]}"

    @property
    def iban_masked(self) -> str:
        return f"{self.iban[:4]} •••• {self.iban[-4:]}"

    def api_data(self) -> dict:
        return {
            "id": self.public_id,
            "object": "recipient",
            "livemode": self.livemode,
            "name": self.name,
            "iban_last4": self.iban[-4:],
            "country": self.country,
            "bic": self.bic,
            "currency": self.currency,
            "created": iso_timestamp(self.created),
        }


class PayoutBatch(FSMModelMixin, models.Model):
    """Payouts prepared together: approved by a second person, then sent to the bank."""

    class Status(models.TextChoices):
        PENDING_APPROVAL = "pending_approval"
        APPROVED = "approved"
        PROCESSING = "processing"
        COMPLETED = "completed"
        CANCELED = "canceled"

    class Source(models.TextChoices):
        API = "api"
        CSV = "csv"

    public_id = models.CharField(
        max_length=32, unique=True, default=new_payout_batch_id, editable=False
    )
    merchant = models.ForeignKey(Merchant, on_delete=models.PROTECT, related_name="payout_batches")
    livemode = models.BooleanField(default=False)
    reference = models.CharField(max_length=100, help_text="The merchant's; one batch per value")
    status = FSMField(default=Status.PENDING_APPROVAL, choices=Status.choices, protected=True)
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.API)
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The staff member who uploaded it (empty: sent through the API)",
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    rows_total = models.PositiveIntegerField(default=0, help_text="Rows sent, accepted or not")
    rejected = models.JSONField(default=list, blank=True, help_text="[{row, field, code, message}]")
    exported_at = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True, db_index=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = "payout batch"
        verbose_name_plural = "payout batches"
        constraints = [
            models.UniqueConstraint(
                fields=["merchant", "livemode", "reference"], name="payouts_batch_reference_uniq"
            ),
        ]

    def __str__(self):
        return f"{self.public_id} {self.reference}"

    @transition(field=status, source=Status.PENDING_APPROVAL, target=Status.APPROVED)
    def approve(self):
        pass

    @transition(field=status, source=Status.PENDING_APPROVAL, target=Status.CANCELED)
    def cancel(self):
        pass

    @transition(field=status, source=Status.APPROVED, target=Status.PROCESSING)
    def submit(self):
        pass

    @transition(field=status, source=Status.PROCESSING, target=Status.COMPLETED)
    def complete(self):
        pass

    def api_data(self) -> dict:
        from ..selectors import payout_batch_summary

        summary = payout_batch_summary(batch=self)
        return {
            "id": self.public_id,
            "object": "payout_batch",
            "livemode": self.livemode,
            "reference": self.reference,
            "status": self.status,
            "rows_total": self.rows_total,
            "accepted": summary["count"],
            "rejected": self.rejected,
            "totals": summary["totals"],
            "items_by_status": summary["by_status"],
            "approved_at": iso_timestamp(self.approved_at),
            "created": iso_timestamp(self.created),
        }


class PayoutItem(FSMModelMixin, models.Model):
    """One transfer of a batch to one recipient."""

    class Status(models.TextChoices):
        PENDING = "pending"
        PROCESSING = "processing"
        PAID = "paid"
        FAILED = "failed"
        RETURNED = "returned"

    public_id = models.CharField(
        max_length=32, unique=True, default=new_payout_item_id, editable=False
    )
    batch = models.ForeignKey(PayoutBatch, on_delete=models.PROTECT, related_name="items")
    merchant = models.ForeignKey(Merchant, on_delete=models.PROTECT, related_name="payout_items")
    livemode = models.BooleanField(default=False)
    recipient = models.ForeignKey(Recipient, on_delete=models.PROTECT, related_name="payouts")
    row = models.PositiveIntegerField(help_text="Its row in what the merchant sent (1 = first)")
    reference = models.CharField(
        max_length=35, help_text="The merchant's; the SEPA end-to-end id; unique per merchant"
    )
    amount = models.BigIntegerField(help_text="Minor units")
    currency = models.CharField(max_length=3)
    status = FSMField(default=Status.PENDING, choices=Status.choices, protected=True)
    failure_code = models.CharField(max_length=32, blank=True)
    failure_message = models.CharField(max_length=255, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["batch", "row"]
        constraints = [
            models.UniqueConstraint(
                fields=["merchant", "livemode", "reference"], name="payouts_item_reference_uniq"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payouts_item_amount_positive"),
            models.CheckConstraint(condition=CURRENCY_CHECK, name="payouts_item_currency"),
        ]
        indexes = [models.Index(fields=["batch", "status"])]

    def __str__(self):
        return f"{self.public_id} {self.reference}"

    @transition(field=status, source=Status.PENDING, target=Status.PROCESSING)
    def process(self):
        pass

    @transition(field=status, source=Status.PROCESSING, target=Status.PAID)
    def pay(self):
        pass

    @transition(field=status, source=[Status.PENDING, Status.PROCESSING], target=Status.FAILED)
    def fail(self):
        pass

    @transition(field=status, source=Status.PAID, target=Status.RETURNED)
    def return_(self):
        pass

    def api_data(self) -> dict:
        return {
            "id": self.public_id,
            "object": "payout",
            "livemode": self.livemode,
            "batch": self.batch.public_id,
            "row": self.row,
            "reference": self.reference,
            "recipient": self.recipient.api_data(),
            "amount": self.amount,
            "currency": self.currency,
            "status": self.status,
            "failure_code": self.failure_code or None,
            "failure_message": self.failure_message or None,
            "created": iso_timestamp(self.created),
        }
