"""What invoicing keeps beside billing's invoices: the merchant's invoicing details, the pay link
of each invoice, the orders paying it, credit notes, customer credit balances and reminders."""

from __future__ import annotations

import secrets

from django.db import models
from django.db.models import Q

from billing.models import Customer, Invoice
from payments.models import CURRENCY_CHECK, Merchant, Order, new_public_id
from payments.representations import iso_timestamp


def new_credit_note_id() -> str:
    return new_public_id("cn")


def new_pay_token() -> str:
    # 256 bits: the link is the only thing between the internet and the invoice's page.
    return secrets.token_urlsafe(32)


def default_reminders_before() -> list[int]:
    return [3]


def default_reminders_after() -> list[int]:
    return [1, 7, 14]


class InvoicingProfile(models.Model):
    """A merchant's details as its invoices show them, and when customers are reminded."""

    merchant = models.OneToOneField(
        Merchant, on_delete=models.CASCADE, related_name="invoicing_profile"
    )
    legal_name = models.CharField(max_length=200, blank=True)
    address = models.TextField(max_length=500, blank=True)
    tax_id = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True, help_text="Shown on invoices and used as Reply-To.")
    iban = models.CharField(
        max_length=34, blank=True, help_text="Shown with an EPC QR code on EUR invoices."
    )
    bic = models.CharField(max_length=11, blank=True)
    reminder_days_before = models.JSONField(
        default=default_reminders_before,
        blank=True,
        help_text="Days before the due date a reminder is sent, e.g. [7, 1].",
    )
    reminder_days_after = models.JSONField(
        default=default_reminders_after,
        blank=True,
        help_text="Days after the due date an overdue reminder is sent, e.g. [1, 7, 14].",
    )

    def __str__(self):
        return f"Invoicing details of {self.merchant}"


class HostedInvoice(models.Model):
    """The invoicing app's side of an invoice: its pay link (an unguessable token), net terms
    (the due date is set at finalize from ``due_days``) and when it was last sent."""

    invoice = models.OneToOneField(Invoice, on_delete=models.CASCADE, related_name="hosted")
    token = models.CharField(max_length=64, unique=True, default=new_pay_token, editable=False)
    due_days = models.PositiveSmallIntegerField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    sent_to = models.EmailField(blank=True)
    created = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"Pay link of {self.invoice_id}"


class InvoiceOrder(models.Model):
    """One attempt to pay (part of) an invoice: an order of the payment core for that amount.

    The capture of the order applies its amount to the invoice once (``applied_at``).
    """

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="pay_orders")
    order = models.OneToOneField(Order, on_delete=models.PROTECT, related_name="invoice_link")
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    applied_at = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="invoicing_order_amount_gt_0"),
        ]

    def __str__(self):
        return f"{self.order_id} for {self.invoice_id}"


class CreditNote(models.Model):
    """A reduction of a finalized invoice, numbered in its own series.

    Its amount is split into what it takes off the amount still due (``due_reduction``), what is
    refunded of what was paid (``refund_amount``) and what of what was paid goes to the
    customer's credit balance instead (``balance_amount``).
    """

    class Reason(models.TextChoices):
        DUPLICATE = "duplicate"
        FRAUDULENT = "fraudulent"
        ORDER_CHANGE = "order_change"
        PRODUCT_UNSATISFACTORY = "product_unsatisfactory"
        OTHER = "other"

    public_id = models.CharField(
        max_length=32, unique=True, default=new_credit_note_id, editable=False
    )
    merchant = models.ForeignKey(Merchant, on_delete=models.PROTECT, related_name="credit_notes")
    livemode = models.BooleanField(default=False)
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="credit_notes")
    number = models.CharField(max_length=40)
    currency = models.CharField(max_length=3)
    amount = models.BigIntegerField()
    tax = models.BigIntegerField(default=0)
    due_reduction = models.BigIntegerField(default=0)
    refund_amount = models.BigIntegerField(default=0)
    balance_amount = models.BigIntegerField(default=0)
    # The refunds made through the payment core (one per payment refunded), by public id.
    refunds = models.JSONField(default=list, blank=True)
    reason = models.CharField(max_length=32, choices=Reason.choices)
    memo = models.CharField(max_length=500, blank=True)
    created = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["merchant", "livemode", "number"], name="invoicing_credit_note_number_uniq"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="invoicing_cn_amount_gt_0"),
            models.CheckConstraint(
                condition=Q(
                    amount=models.F("due_reduction")
                    + models.F("refund_amount")
                    + models.F("balance_amount")
                )
                & Q(due_reduction__gte=0, refund_amount__gte=0, balance_amount__gte=0),
                name="invoicing_cn_amount_split",
            ),
            models.CheckConstraint(condition=CURRENCY_CHECK, name="invoicing_cn_currency_iso"),
        ]

    def __str__(self):
        return self.number

    def api_data(self) -> dict:
        return {
            "id": self.public_id,
            "object": "credit_note",
            "livemode": self.livemode,
            "number": self.number,
            "invoice": self.invoice.public_id,
            "currency": self.currency,
            "amount": self.amount,
            "tax": self.tax,
            "due_reduction": self.due_reduction,
            "refund_amount": self.refund_amount,
            "customer_balance_amount": self.balance_amount,
            "refunds": self.refunds,
            "reason": self.reason,
            "memo": self.memo or None,
            "lines": [line.api_data() for line in self.lines.all()],
            "created": iso_timestamp(self.created),
        }


class CreditNoteLine(models.Model):
    credit_note = models.ForeignKey(CreditNote, on_delete=models.CASCADE, related_name="lines")
    description = models.CharField(max_length=500)
    quantity = models.PositiveIntegerField()
    unit_amount = models.BigIntegerField()
    tax_rate_bps = models.PositiveIntegerField(default=0)
    amount = models.BigIntegerField()
    tax = models.BigIntegerField()

    class Meta:
        ordering = ["id"]

    def api_data(self) -> dict:
        return {
            "description": self.description,
            "quantity": self.quantity,
            "unit_amount": self.unit_amount,
            "tax_rate_bps": self.tax_rate_bps,
            "amount": self.amount,
            "tax": self.tax,
        }


class CustomerBalance(models.Model):
    """What the merchant owes a customer in one currency (overpayments, credit notes), to be
    taken off their next invoices; the ledger's ``customer_credit`` account mirrors it."""

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="balances")
    currency = models.CharField(max_length=3)
    amount = models.BigIntegerField(default=0)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "currency"], name="invoicing_balance_one_per_currency"
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="invoicing_balance_gte_0"),
            models.CheckConstraint(condition=CURRENCY_CHECK, name="invoicing_balance_currency"),
        ]

    def __str__(self):
        return f"{self.customer_id} {self.amount} {self.currency}"


class CustomerBalanceTransaction(models.Model):
    """One change of a customer's credit balance; ``reference`` (the order, credit note or
    invoice it comes from) is unique, so the same cause never changes the balance twice."""

    class Kind(models.TextChoices):
        OVERPAYMENT = "overpayment"
        UNAPPLIED_PAYMENT = "unapplied_payment"  # paid after the invoice was paid or voided
        CREDIT_NOTE = "credit_note"
        APPLIED_TO_INVOICE = "applied_to_invoice"

    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="balance_transactions"
    )
    currency = models.CharField(max_length=3)
    amount = models.BigIntegerField(help_text="Positive: credit to the customer; negative: used.")
    kind = models.CharField(max_length=24, choices=Kind.choices)
    invoice = models.ForeignKey(Invoice, null=True, on_delete=models.PROTECT, related_name="+")
    reference = models.CharField(max_length=80, unique=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created", "-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="invoicing_balance_txn_nonzero"),
        ]


class InvoiceReminder(models.Model):
    """One reminder sent for an invoice: ``days`` before (negative) or after the due date.

    The unique row is what makes the sweep send each reminder once, however often it runs.
    """

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="reminders")
    days = models.SmallIntegerField(help_text="Negative: before the due date; positive: after.")
    email = models.EmailField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["invoice", "days"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "days"], name="invoicing_reminder_once"),
        ]

    def __str__(self):
        return f"{self.invoice_id} {self.days:+d}d"
