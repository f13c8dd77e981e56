"""Settlement batches, their lines, payouts and reconciliation runs.

A batch closes one merchant's captured, unsettled money of one currency and mode at a cut-off;
its lines say which payments and refunds it settled (each at most once, by unique constraints).
A payout pays a batch's positive net out on a business day.
"""

from django.db import models
from django.db.models import Q
from django_fsm import FSMField, FSMModelMixin, transition

from payments.models import Merchant, Payment, Refund, new_public_id
from payments.representations import iso_timestamp


def new_settlement_id() -> str:
    return new_public_id("stl")


def new_payout_id() -> str:
    return new_public_id("po")


class SettlementBatch(FSMModelMixin, models.Model):
    """One merchant's money of one currency and mode, closed at one cut-off."""

    class Status(models.TextChoices):
        OPEN = "open"
        CLOSED = "closed"
        PAID = "paid"

    public_id = models.CharField(
        max_length=32, unique=True, default=new_settlement_id, editable=False
    )
    merchant = models.ForeignKey(Merchant, on_delete=models.PROTECT, related_name="settlements")
    livemode = models.BooleanField(default=False)
    currency = models.CharField(max_length=3)
    cutoff = models.DateTimeField(help_text="Payments captured before this instant are included")
    status = FSMField(default=Status.OPEN, choices=Status.choices, protected=True)
    fee_bps = models.PositiveIntegerField(help_text="The merchant's schedule when closed")
    # Per payment, in minor units of the batch's currency (the merchant's own or the default).
    fee_fixed = models.PositiveIntegerField()
    payment_count = models.PositiveIntegerField(default=0)
    refund_count = models.PositiveIntegerField(default=0)
    gross_amount = models.BigIntegerField(default=0, help_text="Captured, minor units")
    refunds_amount = models.BigIntegerField(default=0)
    fees_amount = models.BigIntegerField(default=0)
    adjustment_count = models.PositiveIntegerField(default=0)
    adjustments_amount = models.BigIntegerField(
        default=0, help_text="Taken by other apps (disputes), less what they gave back"
    )
    net_amount = models.BigIntegerField(default=0, help_text="gross - refunds - fees - adjustments")
    carry_in = models.BigIntegerField(default=0, help_text="Negative net of the previous batch")
    payout_amount = models.BigIntegerField(default=0, help_text="max(0, net + carry in)")
    carry_out = models.BigIntegerField(default=0, help_text="min(0, net + carry in)")
    payout_date = models.DateField()
    created = models.DateTimeField(auto_now_add=True, db_index=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = "settlement batch"
        verbose_name_plural = "settlement batches"
        constraints = [
            models.UniqueConstraint(
                fields=["merchant", "currency", "livemode", "cutoff"],
                name="settlement_batch_one_per_cutoff",
            ),
            models.CheckConstraint(
                condition=Q(payout_amount__gte=0) & Q(carry_out__lte=0) & Q(carry_in__lte=0),
                name="settlement_batch_payout_and_carry_signs",
            ),
            models.CheckConstraint(
                condition=Q(currency__regex=r"^[A-Z]{3}$"), name="settlement_batch_currency_iso"
            ),
        ]
        indexes = [models.Index(fields=["merchant", "currency", "livemode", "-id"])]

    def __str__(self):
        return f"{self.public_id} {self.currency} {self.cutoff:%Y-%m-%d}"

    @transition(field=status, source=Status.OPEN, target=Status.CLOSED)
    def close(self):
        pass

    @transition(field=status, source=Status.CLOSED, target=Status.PAID)
    def mark_paid(self):
        pass

    def api_data(self) -> dict:
        payout = getattr(self, "payout", None) if self.pk else None
        return {
            "id": self.public_id,
            "object": "settlement",
            "livemode": self.livemode,
            "status": self.status,
            "currency": self.currency,
            "cutoff": iso_timestamp(self.cutoff),
            "payout_date": self.payout_date.isoformat(),
            "payment_count": self.payment_count,
            "refund_count": self.refund_count,
            "gross_amount": self.gross_amount,
            "refunds_amount": self.refunds_amount,
            "fees_amount": self.fees_amount,
            "adjustment_count": self.adjustment_count,
            "adjustments_amount": self.adjustments_amount,
            "net_amount": self.net_amount,
            "carry_in": self.carry_in,
            "payout_amount": self.payout_amount,
            "carry_out": self.carry_out,
            "fee_schedule": {"bps": self.fee_bps, "fixed": self.fee_fixed},
            "payout": payout.public_id if payout else None,
            "created": iso_timestamp(self.created),
            "closed_at": iso_timestamp(self.closed_at),
            "paid_at": iso_timestamp(self.paid_at),
        }


class SettlementLine(models.Model):
    """One payment (gross, fee) or one refund settled by a batch; each is settled at most once."""

    class Kind(models.TextChoices):
        PAYMENT = "payment"
        REFUND = "refund"

    # No foreign-key constraints in the database on this table: PostgreSQL checks a foreign key
    # row by row (locking each payment it names), which was 17 of the 21 s that settling
    # 1,000,000 payments took in `make bench`. Lines are written only by the settlement run, by
    # INSERT ... SELECT from the payments and refunds themselves and into batches of the same
    # transaction; none of the three is ever deleted (PROTECT; a batch only while it has no
    # lines); and reconciliation reports any line whose batch, payment or refund is missing.
    batch = models.ForeignKey(
        SettlementBatch, on_delete=models.PROTECT, related_name="lines", db_constraint=False
    )
    kind = models.CharField(max_length=8, choices=Kind.choices)
    payment = models.OneToOneField(
        Payment,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="settlement_line",
        db_constraint=False,
    )
    refund = models.OneToOneField(
        Refund,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="settlement_line",
        db_constraint=False,
    )
    amount = models.BigIntegerField(
        help_text="Captured (payment) or refunded (refund) amount, in the batch's currency"
    )
    fee = models.BigIntegerField(default=0, help_text="Percentage and fixed fee")
    net = models.BigIntegerField(
        help_text="amount - fee - fx_markup - cross_border_fee for a payment, -amount for a refund"
    )
    occurred_at = models.DateTimeField()
    # What the shopper paid, and how it was converted into the batch's currency (``fx``): a
    # payment that was not converted has its own amount and currency here and no rate.
    presentment_currency = models.CharField(max_length=3, blank=True)
    presentment_amount = models.BigIntegerField(null=True, blank=True)
    fx_rate = models.DecimalField(max_digits=30, decimal_places=12, null=True, blank=True)
    fx_fixing_date = models.DateField(null=True, blank=True)
    fx_markup = models.BigIntegerField(default=0, help_text="FX markup fee, batch currency")
    cross_border_fee = models.BigIntegerField(default=0, help_text="Batch currency")

    class Meta:
        ordering = ["batch", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(kind="payment", payment__isnull=False, refund__isnull=True)
                    | Q(kind="refund", payment__isnull=True, refund__isnull=False)
                ),
                name="settlement_line_payment_xor_refund",
            ),
        ]

    def __str__(self):
        return f"{self.kind} {self.payment_id or self.refund_id} in {self.batch_id}"


class SettlementAdjustment(models.Model):
    """An adjustment another app made to the merchant's balance (``settlement.adjustments``),
    netted by one batch; a reference is settled at most once."""

    batch = models.ForeignKey(SettlementBatch, on_delete=models.PROTECT, related_name="adjustments")
    reference = models.CharField(max_length=80, unique=True)
    description = models.CharField(max_length=200, blank=True)
    amount = models.BigIntegerField(help_text="Taken from the merchant (> 0) or given back (< 0)")
    occurred_at = models.DateTimeField()

    class Meta:
        ordering = ["batch", "id"]

    def __str__(self):
        return f"{self.reference} in {self.batch_id}"


class Payout(FSMModelMixin, models.Model):
    """The transfer of a batch's positive net to the merchant, on a business day."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled"
        PAID = "paid"

    public_id = models.CharField(max_length=32, unique=True, default=new_payout_id, editable=False)
    batch = models.OneToOneField(SettlementBatch, on_delete=models.PROTECT, related_name="payout")
    merchant = models.ForeignKey(Merchant, on_delete=models.PROTECT, related_name="payouts")
    livemode = models.BooleanField(default=False)
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    payout_date = models.DateField(db_index=True)
    status = FSMField(default=Status.SCHEDULED, choices=Status.choices, protected=True)
    created = models.DateTimeField(auto_now_add=True, db_index=True)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-payout_date", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payout_amount_positive"),
        ]
        indexes = [models.Index(fields=["status", "payout_date"])]

    def __str__(self):
        return f"{self.public_id} {self.currency} {self.payout_date}"

    @transition(field=status, source=Status.SCHEDULED, target=Status.PAID)
    def pay(self):
        pass

    def api_data(self) -> dict:
        return {
            "id": self.public_id,
            "object": "payout",
            "livemode": self.livemode,
            "status": self.status,
            "amount": self.amount,
            "currency": self.currency,
            "payout_date": self.payout_date.isoformat(),
            "settlement": self.batch.public_id,
            "created": iso_timestamp(self.created),
            "paid_at": iso_timestamp(self.paid_at),
        }


class ReconciliationRun(models.Model):
    """The result of one comparison of ledger balances, batch totals and payments."""

    started_at = models.DateTimeField(auto_now_add=True, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    ok = models.BooleanField(default=False)
    differences = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self):
        state = "ok" if self.ok else f"{len(self.differences)} differences"
        return f"Reconciliation {self.started_at:%Y-%m-%d %H:%M} ({state})"
