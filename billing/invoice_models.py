"""Invoices: what a customer owes, line by line, for a subscription period or a one-off sale.

One model serves both: the subscription engine (``billing``) opens one per period, and the
B2B invoicing app (``invoicing``) builds drafts, credit notes, pay links and PDFs on top of it.
Totals are stored as computed by ``billing.services.invoices`` (``invoice_totals``), in integer
minor units; the number is given at finalize from a locked counter row, so a series has no
gap and no duplicate however many finalize at once.
"""

from django.db import models
from django.db.models import Q
from django_fsm import FSMField, FSMModelMixin, transition

from payments.models import CURRENCY_CHECK, Merchant, new_public_id
from payments.representations import iso_timestamp


def new_invoice_id() -> str:
    return new_public_id("in")


class Invoice(FSMModelMixin, models.Model):
    """The machine (docs/architecture.md section 3): ``draft → open → paid | void |
    uncollectible``; an uncollectible invoice may still be paid."""

    class Status(models.TextChoices):
        DRAFT = "draft"
        OPEN = "open"
        PAID = "paid"
        VOID = "void"
        UNCOLLECTIBLE = "uncollectible"

    class BillingReason(models.TextChoices):
        MANUAL = "manual"
        SUBSCRIPTION_CREATE = "subscription_create"
        SUBSCRIPTION_CYCLE = "subscription_cycle"
        SUBSCRIPTION_UPDATE = "subscription_update"

    class CollectionMethod(models.TextChoices):
        # charge_automatically: the saved method is charged (subscriptions);
        # send_invoice: the customer pays through the pay link by the due date.
        CHARGE_AUTOMATICALLY = "charge_automatically"
        SEND_INVOICE = "send_invoice"

    public_id = models.CharField(max_length=32, unique=True, default=new_invoice_id, editable=False)
    merchant = models.ForeignKey(Merchant, on_delete=models.PROTECT, related_name="invoices")
    livemode = models.BooleanField(default=False)
    customer = models.ForeignKey(
        "billing.Customer", on_delete=models.PROTECT, related_name="invoices"
    )
    subscription = models.ForeignKey(
        "billing.Subscription",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="invoices",
    )
    status = FSMField(default=Status.DRAFT, choices=Status.choices, protected=True)
    number = models.CharField(max_length=40, null=True, blank=True)
    billing_reason = models.CharField(
        max_length=24, choices=BillingReason.choices, default=BillingReason.MANUAL
    )
    collection_method = models.CharField(
        max_length=24, choices=CollectionMethod.choices, default=CollectionMethod.SEND_INVOICE
    )
    currency = models.CharField(max_length=3)
    subtotal = models.BigIntegerField(default=0)
    tax = models.BigIntegerField(default=0)
    total = models.BigIntegerField(default=0)
    amount_paid = models.BigIntegerField(default=0)
    amount_remaining = models.BigIntegerField(default=0)
    period_start = models.DateTimeField(null=True, blank=True)
    period_end = models.DateTimeField(null=True, blank=True)
    due_date = models.DateField(null=True, blank=True)
    memo = models.TextField(blank=True)
    footer = models.TextField(blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    # Automatic collection: how many charges were tried, and when the next one is due.
    attempt_count = models.PositiveIntegerField(default=0)
    next_payment_attempt = models.DateTimeField(null=True, blank=True)
    finalized_at = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    voided_at = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True, db_index=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created", "-id"]
        constraints = [
            models.CheckConstraint(condition=CURRENCY_CHECK, name="billing_invoice_currency_iso"),
            models.CheckConstraint(
                condition=Q(amount_paid__gte=0, amount_remaining__gte=0),
                name="billing_invoice_paid_remaining_not_negative",
            ),
            models.UniqueConstraint(
                fields=["merchant", "livemode", "number"],
                condition=Q(number__isnull=False),
                name="billing_invoice_number_unique",
            ),
            # One invoice per subscription period: two sweeps cannot open the same one twice.
            models.UniqueConstraint(
                fields=["subscription", "period_start"],
                condition=Q(subscription__isnull=False, period_start__isnull=False)
                & ~Q(status="void"),
                name="billing_invoice_one_per_period",
            ),
        ]
        indexes = [
            models.Index(fields=["merchant", "livemode", "-created"]),
            # The collection sweep: open invoices whose next attempt is due.
            models.Index(fields=["status", "next_payment_attempt"]),
        ]

    def __str__(self):
        return self.number or self.public_id

    @transition(field=status, source=Status.DRAFT, target=Status.OPEN)
    def finalize(self):
        pass

    @transition(field=status, source=[Status.OPEN, Status.UNCOLLECTIBLE], target=Status.PAID)
    def pay(self):
        pass

    @transition(field=status, source=[Status.OPEN, Status.UNCOLLECTIBLE], target=Status.VOID)
    def void(self):
        pass

    @transition(field=status, source=Status.OPEN, target=Status.UNCOLLECTIBLE)
    def mark_uncollectible(self):
        pass

    def api_data(self) -> dict:
        subscription = self.subscription
        return {
            "id": self.public_id,
            "object": "invoice",
            "livemode": self.livemode,
            "number": self.number,
            "status": self.status,
            "customer": self.customer.public_id,
            "subscription": subscription.public_id if subscription else None,
            "billing_reason": self.billing_reason,
            "collection_method": self.collection_method,
            "currency": self.currency,
            "lines": [line.api_data() for line in self.lines.all()],
            "subtotal": self.subtotal,
            "tax": self.tax,
            "total": self.total,
            "amount_paid": self.amount_paid,
            "amount_remaining": self.amount_remaining,
            "period_start": iso_timestamp(self.period_start),
            "period_end": iso_timestamp(self.period_end),
            "due_date": self.due_date.isoformat() if self.due_date else None,
            "memo": self.memo or None,
            "footer": self.footer or None,
            "metadata": self.metadata,
            "attempt_count": self.attempt_count,
            "next_payment_attempt": iso_timestamp(self.next_payment_attempt),
            "finalized_at": iso_timestamp(self.finalized_at),
            "paid_at": iso_timestamp(self.paid_at),
            "voided_at": iso_timestamp(self.voided_at),
            "created": iso_timestamp(self.created),
        }


class InvoiceLine(models.Model):
    """One line: ``quantity × unit_amount``, and its tax at ``tax_rate_bps`` rounded half-even.

    A proration credit is a line with a negative unit amount.
    """

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField()
    description = models.CharField(max_length=500)
    quantity = models.PositiveIntegerField(default=1)
    unit_amount = models.BigIntegerField()
    tax_rate_bps = models.PositiveIntegerField(default=0)
    amount = models.BigIntegerField()
    tax_amount = models.BigIntegerField()
    period_start = models.DateTimeField(null=True, blank=True)
    period_end = models.DateTimeField(null=True, blank=True)
    proration = models.BooleanField(default=False)

    class Meta:
        ordering = ["invoice", "position"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "position"], name="billing_line_position"),
            models.CheckConstraint(
                condition=Q(tax_rate_bps__lte=10000), name="billing_line_tax_rate_at_most_100pc"
            ),
        ]

    def api_data(self) -> dict:
        return {
            "description": self.description,
            "quantity": self.quantity,
            "unit_amount": self.unit_amount,
            "tax_rate_bps": self.tax_rate_bps,
            "amount": self.amount,
            "tax_amount": self.tax_amount,
            "period_start": iso_timestamp(self.period_start),
            "period_end": iso_timestamp(self.period_end),
            "proration": self.proration,
        }


class InvoicePayment(models.Model):
    """A payment applied to an invoice, once: the same reference applied again is a no-op,
    so a receiver told twice about one payment does not count it twice."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="payments")
    reference = models.CharField(max_length=64)
    amount = models.BigIntegerField()
    # What went beyond the amount remaining (the invoicing app credits it to the customer).
    excess = models.BigIntegerField(default=0)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["invoice", "reference"], name="billing_invoice_pay_once"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="billing_invoice_pay_positive"),
        ]


class NumberSeries(models.Model):
    """The counter of one numbering series of a merchant (invoices, credit notes) in one mode
    and year. The row is locked while a number is taken: ``MAX()+1`` would give duplicates."""

    class Kind(models.TextChoices):
        INVOICE = "invoice"
        CREDIT_NOTE = "credit_note"

    merchant = models.ForeignKey(Merchant, on_delete=models.PROTECT, related_name="+")
    livemode = models.BooleanField(default=False)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    year = models.PositiveSmallIntegerField()
    prefix = models.CharField(max_length=12)
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["merchant", "livemode", "kind", "year"], name="billing_number_series"
            ),
        ]
