from django.db import models
from django.db.models import Q
from django.utils import timezone


class LedgerAccount(models.Model):
    """One owner's account of one kind in one currency; its balance is the sum of its postings."""

    class Kind(models.TextChoices):
        MERCHANT_PENDING = "merchant_pending", "Merchant pending"
        MERCHANT_PAYABLE = "merchant_payable", "Merchant payable"
        MERCHANT_PAID_OUT = "merchant_paid_out", "Merchant paid out"
        # Money of the merchant set aside for approved bulk payouts until they are paid or fail.
        MERCHANT_PAYOUT_HOLD = "merchant_payout_hold", "Merchant payout hold"
        PLATFORM_FEES = "platform_fees", "Platform fees"
        PLATFORM_CASH = "platform_cash", "Platform cash"
        INSTITUTION_RECEIVABLE = "institution_receivable", "Institution receivable"
        # Invoicing (owner: the customer's id, "cus_..."): what customers owe on open invoices,
        # and the credit balance the merchant owes them; the merchant's side of both is
        # ``merchant_invoiced``. Memorandum accounts: the money itself moves on capture.
        CUSTOMER_RECEIVABLE = "customer_receivable", "Customer receivable"
        CUSTOMER_CREDIT = "customer_credit", "Customer credit"
        MERCHANT_INVOICED = "merchant_invoiced", "Merchant invoiced"
        # One owner per currency pair ("fx:EURUSD"), an account in each of its currencies.
        FX_CLEARING = "fx_clearing", "FX clearing"
        FX_GAIN_LOSS = "fx_gain_loss", "FX gain/loss"
        # Dynamic currency conversion: the markup shoppers paid to pay in their card's currency.
        FX_DCC_MARKUP = "fx_dcc_markup", "FX DCC markup"

    owner = models.CharField(
        max_length=64, help_text='A merchant id ("mer_..."), "platform" or an institution code.'
    )
    kind = models.CharField(max_length=32, choices=Kind.choices)
    currency = models.CharField(max_length=3)

    class Meta:
        ordering = ["owner", "kind", "currency"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "kind", "currency"], name="ledger_account_owner_kind_currency_uniq"
            ),
            models.CheckConstraint(
                condition=Q(currency__regex=r"^[A-Z]{3}$"), name="ledger_account_currency_iso"
            ),
        ]

    def __str__(self):
        return f"{self.owner} {self.kind} {self.currency}"


class JournalEntry(models.Model):
    """One money movement: postings that sum to zero per currency, written once, never changed."""

    class Kind(models.TextChoices):
        CAPTURE = "capture", "Capture"
        REFUND = "refund", "Refund"
        FEE = "fee", "Fee"
        SETTLEMENT = "settlement", "Settlement"
        PAYOUT = "payout", "Payout"
        BULK_PAYOUT = "bulk_payout", "Bulk payout"
        ADJUSTMENT = "adjustment", "Adjustment"
        INVOICE = "invoice", "Invoice"
        CREDIT_NOTE = "credit_note", "Credit note"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    reference = models.CharField(
        max_length=64, db_index=True, help_text='The object moved, e.g. "pay_...", "ref_...".'
    )
    description = models.CharField(max_length=255, blank=True)
    created = models.DateTimeField(default=timezone.now, db_index=True)
    idempotency_key = models.CharField(max_length=255, unique=True, null=True, blank=True)

    class Meta:
        ordering = ["-created", "-pk"]
        verbose_name_plural = "journal entries"

    def __str__(self):
        return f"{self.kind} {self.reference} #{self.pk}"


class Posting(models.Model):
    """One side of a journal entry: debit positive, credit negative, in minor units."""

    entry = models.ForeignKey(JournalEntry, on_delete=models.PROTECT, related_name="postings")
    account = models.ForeignKey(LedgerAccount, on_delete=models.PROTECT, related_name="postings")
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="ledger_posting_amount_nonzero"),
        ]

    def __str__(self):
        return f"{self.account} {self.amount:+d}"
