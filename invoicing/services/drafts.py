"""Invoices a merchant writes: drafts with net terms, finalizing (number, due date, pay link),
void and uncollectible. Billing owns the invoice and its machine; this adds the pay link and
the terms, in the same transactions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone

from billing.models import Customer, Invoice
from billing.services import (
    LineInput,
    invoice_create,
    invoice_finalize,
    invoice_mark_uncollectible,
    invoice_payment_apply,
    invoice_update,
    invoice_void,
)
from billing.services.invoices import invoice_lock
from payments.errors import ValidationFailed
from payments.models import Merchant
from payments.validation import FieldError

from ..models import CreditNote, CustomerBalanceTransaction, HostedInvoice
from .balances import customer_balance_amount, customer_balance_change

MEMO_MAX = 5000  # memo and footer, each
DUE_DAYS_DEFAULT = 30
DUE_DAYS_MAX = 365
_UNSET = object()


def hosted_invoice_url(hosted: HostedInvoice) -> str:
    """Return the pay link: the invoice's page on this site."""
    return f"{settings.SITE_URL.rstrip('/')}/invoice/{hosted.token}/"


def _customer(*, merchant: Merchant, livemode: bool, customer_id) -> Customer:
    customer = None
    if isinstance(customer_id, str):
        customer = Customer.objects.filter(
            merchant=merchant, livemode=livemode, public_id=customer_id, deleted_at__isnull=True
        ).first()
    if customer is None:
        raise ValidationFailed(
            [FieldError("customer", "not_found", "No customer of yours has this id in this mode.")]
        )
    return customer


def _terms_errors(*, due_days, due_date, today: date, **texts) -> list[FieldError]:
    errors = [
        FieldError(name, "too_long", f"At most {MEMO_MAX} characters.")
        for name, text in texts.items()
        if isinstance(text, str) and len(text) > MEMO_MAX
    ]
    if due_days is not None and due_date is not None:
        errors.append(FieldError("due_date", "conflict", "Give due_days or due_date, not both."))
    if due_days is not None and not 0 <= due_days <= DUE_DAYS_MAX:
        errors.append(FieldError("due_days", "out_of_range", f"Net terms are 0 to {DUE_DAYS_MAX}."))
    if due_date is not None and due_date < today:
        errors.append(FieldError("due_date", "in_the_past", "The due date is today or later."))
    return errors


def invoice_draft_create(
    *,
    merchant: Merchant,
    livemode: bool,
    customer_id: str,
    currency: str,
    lines: Sequence[LineInput],
    due_days: int | None = None,
    due_date: date | None = None,
    memo: str = "",
    footer: str = "",
    metadata: dict | None = None,
) -> Invoice:
    """Create a draft for the merchant's customer; without terms it is due 30 days after it is
    finalized. Raise ``ValidationFailed`` naming each wrong field."""
    errors = _terms_errors(
        due_days=due_days, due_date=due_date, today=timezone.localdate(), memo=memo, footer=footer
    )
    if errors:
        raise ValidationFailed(errors)
    customer = _customer(merchant=merchant, livemode=livemode, customer_id=customer_id)
    if due_days is None and due_date is None:
        due_days = DUE_DAYS_DEFAULT
    with transaction.atomic():
        invoice = invoice_create(
            customer=customer,
            currency=currency,
            lines=lines,
            due_date=due_date,
            memo=memo,
            footer=footer,
            metadata=metadata,
        )
        HostedInvoice.objects.create(invoice=invoice, due_days=due_days)
    return invoice


def hosted_for(invoice: Invoice) -> HostedInvoice:
    """Return the invoice's pay link row, made now for an invoice billing opened by itself."""
    hosted, _ = HostedInvoice.objects.get_or_create(invoice=invoice)
    return hosted


def invoice_draft_update(
    *, invoice: Invoice, lines=None, due_days=_UNSET, due_date=_UNSET, **changes
) -> Invoice:
    """Change a draft; ``due_days`` and ``due_date`` replace each other."""
    terms = {"due_days": due_days, "due_date": due_date}
    given = {k: v for k, v in terms.items() if v is not _UNSET}
    errors = _terms_errors(
        due_days=given.get("due_days"),
        due_date=given.get("due_date"),
        today=timezone.localdate(),
        **{k: v for k, v in changes.items() if k in ("memo", "footer")},
    )
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        invoice = invoice_lock(invoice)
        hosted = hosted_for(invoice)
        if "due_days" in given:
            changes["due_date"] = None
            hosted.due_days = given["due_days"]
        elif "due_date" in given:
            changes["due_date"] = given["due_date"]
            hosted.due_days = None
        invoice = invoice_update(invoice=invoice, lines=lines, **changes)
        hosted.save(update_fields=["due_days"])
    return invoice


def invoice_open(*, invoice: Invoice, now: datetime | None = None) -> Invoice:
    """Finalize a draft: its number, its due date from the net terms, its pay link; the
    customer's credit balance in the currency is used first."""
    now = now or timezone.now()
    with transaction.atomic():
        invoice = invoice_lock(invoice)
        hosted = hosted_for(invoice)
        if invoice.status == Invoice.Status.DRAFT and invoice.due_date is None:
            days = DUE_DAYS_DEFAULT if hosted.due_days is None else hosted.due_days
            invoice.due_date = timezone.localdate(now) + timedelta(days=days)
            # Saved with the finalize below: its lock is the one just taken.
            Invoice.objects.filter(pk=invoice.pk).update(due_date=invoice.due_date)
        invoice = invoice_finalize(invoice=invoice, now=now)
        _balance_use(invoice)
    return invoice


def _balance_use(invoice: Invoice) -> None:
    """Pay what the customer's credit balance covers of a just-finalized invoice."""
    available = customer_balance_amount(customer=invoice.customer, currency=invoice.currency)
    amount = min(available, invoice.amount_remaining)
    if amount <= 0:
        return
    reference = f"balance:{invoice.public_id}"
    customer_balance_change(
        customer=invoice.customer,
        currency=invoice.currency,
        amount=-amount,
        kind=CustomerBalanceTransaction.Kind.APPLIED_TO_INVOICE,
        reference=reference,
        invoice=invoice,
    )
    invoice_payment_apply(invoice=invoice, amount=amount, reference=reference)
    invoice.refresh_from_db()


def invoice_close(*, invoice: Invoice, action: str) -> Invoice:
    """Void (``void``) or mark uncollectible (``mark_uncollectible``) an invoice. What was
    paid of a voided invoice (and not yet refunded or credited by a credit note) goes to the
    customer's credit balance: voiding never keeps the customer's money."""
    if action != "void":
        return invoice_mark_uncollectible(invoice=invoice)
    with transaction.atomic():
        invoice = invoice_void(invoice=invoice)
        credited = CreditNote.objects.filter(invoice=invoice).aggregate(
            s=Sum(F("refund_amount") + F("balance_amount"))
        )["s"]
        kept = invoice.amount_paid - (credited or 0)
        if kept > 0:
            customer_balance_change(
                customer=invoice.customer,
                currency=invoice.currency,
                amount=kept,
                kind=CustomerBalanceTransaction.Kind.UNAPPLIED_PAYMENT,
                reference=f"void:{invoice.public_id}",
                invoice=invoice,
            )
    return invoice
