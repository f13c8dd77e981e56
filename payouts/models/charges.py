"""Charge batches: many merchant-initiated charges of customers' saved cards, run in the background.

Each item is the queue of record: a sweep finds unfinished items again (a worker killed with
them), and each item pays through one order of its own, so an item is never charged twice.
"""

from django.db import models
from django.db.models import Q
from django_fsm import FSMField, FSMModelMixin, transition

from payments.models import Merchant, Order, new_public_id
from payments.representations import iso_timestamp

from .payouts import CURRENCY_CHECK


def new_charge_batch_id() -> str:
    return new_public_id("chb")


def new_charge_item_id() -> str:
    return new_public_id("chi")


class ChargeBatch(FSMModelMixin, models.Model):
    """Charges validated together and started together."""

    class Status(models.TextChoices):
        READY = "ready"
        RUNNING = "running"
        COMPLETED = "completed"

    public_id = models.CharField(
        max_length=32, unique=True, default=new_charge_batch_id, editable=False
    )
    merchant = models.ForeignKey(Merchant, on_delete=models.PROTECT, related_name="charge_batches")
    livemode = models.BooleanField(default=False)
    reference = models.CharField(max_length=100, help_text="The merchant's; one batch per value")
    status = FSMField(default=Status.READY, choices=Status.choices, protected=True)
    rows_total = models.PositiveIntegerField(default=0)
    rejected = models.JSONField(default=list, blank=True, help_text="[{row, field, code, message}]")
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True, db_index=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = "charge batch"
        verbose_name_plural = "charge batches"
        constraints = [
            models.UniqueConstraint(
                fields=["merchant", "livemode", "reference"], name="payouts_charge_batch_ref_uniq"
            ),
        ]

    def __str__(self):
        return f"{self.public_id} {self.reference}"

    @transition(field=status, source=Status.READY, target=Status.RUNNING)
    def start(self):
        pass

    @transition(field=status, source=Status.RUNNING, target=Status.COMPLETED)
    def complete(self):
        pass

    def api_data(self) -> dict:
        from ..selectors import charge_batch_progress

        return {
            "id": self.public_id,
            "object": "charge_batch",
            "livemode": self.livemode,
            "reference": self.reference,
            "status": self.status,
            "rows_total": self.rows_total,
            "rejected": self.rejected,
            "progress": charge_batch_progress(batch=self),
            "started_at": iso_timestamp(self.started_at),
            "completed_at": iso_timestamp(self.completed_at),
            "created": iso_timestamp(self.created),
        }


class ChargeItem(FSMModelMixin, models.Model):
    """One charge of a batch: a customer's saved card, an amount, through one order."""

    class Status(models.TextChoices):
        PENDING = "pending"
        PROCESSING = "processing"
        SUCCEEDED = "succeeded"
        FAILED = "failed"

    public_id = models.CharField(
        max_length=32, unique=True, default=new_charge_item_id, editable=False
    )
    batch = models.ForeignKey(ChargeBatch, on_delete=models.PROTECT, related_name="items")
    merchant = models.ForeignKey(Merchant, on_delete=models.PROTECT, related_name="charge_items")
    livemode = models.BooleanField(default=False)
    row = models.PositiveIntegerField()
    reference = models.CharField(max_length=100)
    customer_id = models.CharField(max_length=32, help_text="cus_...")
    payment_method_id = models.CharField(max_length=32, help_text="pm_...")
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    status = FSMField(default=Status.PENDING, choices=Status.choices, protected=True)
    # The item's one order: created once, with the claim; every attempt to charge the item pays
    # this order, which the payment core lets be paid once.
    order = models.OneToOneField(
        Order, null=True, blank=True, on_delete=models.PROTECT, related_name="charge_item"
    )
    decline_code = models.CharField(max_length=64, blank=True)
    failure_message = models.CharField(max_length=255, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["batch", "row"]
        constraints = [
            models.UniqueConstraint(
                fields=["batch", "reference"], name="payouts_charge_item_reference_uniq"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payouts_charge_item_amount"),
            models.CheckConstraint(condition=CURRENCY_CHECK, name="payouts_charge_item_currency"),
        ]
        indexes = [models.Index(fields=["status", "claimed_at"])]

    def __str__(self):
        return f"{self.public_id} {self.reference}"

    @transition(field=status, source=Status.PENDING, target=Status.PROCESSING)
    def claim(self):
        pass

    @transition(field=status, source=Status.PROCESSING, target=Status.SUCCEEDED)
    def succeed(self):
        pass

    @transition(field=status, source=Status.PROCESSING, target=Status.FAILED)
    def fail(self):
        pass
