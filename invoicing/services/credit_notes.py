"""Credit notes: numbered in their own series, they take an amount off a finalized invoice.

What is still due is reduced first; the rest comes out of what was paid, refunded through the
payment core (one refund per payment, newest payment first) or credited to the customer's
balance. Every step has its journal entry: the receivable (through the invoice's event), the
customer credit, and the payment core's refund entries.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from contextvars import ContextVar
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from billing.models import Invoice, NumberSeries
from billing.services import line_totals
from billing.services.invoices import invoice_lock, number_take
from payments.errors import InvalidTransition, ValidationFailed
from payments.models import Payment
from payments.services import event_record, refund_create, refunds_reserved
from payments.transitions import transition_run
from payments.validation import FieldError

from ..models import CreditNote, CreditNoteLine, CustomerBalanceTransaction, InvoiceOrder
from .balances import customer_balance_change

logger = logging.getLogger(__name__)

# Set while a credit note refunds through the payment core: the refunds it makes are its own,
# not refunds made directly through the payments API (``credit_note_for_refund``).
_REFUNDING_FOR_NOTE: ContextVar[bool] = ContextVar("refunding_for_note", default=False)

CREDITABLE = (Invoice.Status.OPEN, Invoice.Status.PAID, Invoice.Status.UNCOLLECTIBLE)
CREDIT_TO = ("refund", "customer_balance")
MEMO_MAX = CreditNote._meta.get_field("memo").max_length


@dataclass(frozen=True)
class CreditLineInput:
    description: str
    unit_amount: int
    quantity: int = 1
    tax_rate_bps: int = 0


def _checked(*, amount, lines, reason, memo, credit_to) -> None:
    errors = []
    if amount is not None and lines is not None:
        errors.append(FieldError("amount", "conflict", "Give amount or lines, not both."))
    if reason not in CreditNote.Reason.values:
        errors.append(FieldError("reason", "invalid_choice", "Not a credit note reason."))
    if not isinstance(memo, str) or len(memo) > MEMO_MAX:
        errors.append(FieldError("memo", "too_long", f"At most {MEMO_MAX} characters."))
    if credit_to not in CREDIT_TO:
        errors.append(FieldError("credit_to", "invalid_choice", "refund or customer_balance."))
    if errors:
        raise ValidationFailed(errors)


def _amounts(amount, lines) -> tuple[int | None, int, list[CreditNoteLine]]:
    """Return the credit note's amount (None: all that is creditable), its tax and its unsaved
    lines."""
    if lines is None:
        return amount, 0, []
    rows = []
    for line in lines:
        net, tax = line_totals(
            quantity=line.quantity, unit_amount=line.unit_amount, tax_rate_bps=line.tax_rate_bps
        )
        rows.append(
            CreditNoteLine(
                description=line.description.strip(),
                quantity=line.quantity,
                unit_amount=line.unit_amount,
                tax_rate_bps=line.tax_rate_bps,
                amount=net,
                tax=tax,
            )
        )
    return sum(r.amount + r.tax for r in rows), sum(r.tax for r in rows), rows


def _credited(invoice: Invoice) -> int:
    """Return what the invoice's credit notes took off it so far."""
    return CreditNote.objects.filter(invoice=invoice).aggregate(s=Sum("amount"))["s"] or 0


def _refundable_payments(invoice: Invoice) -> list[tuple[Payment, int]]:
    """Return the captured payments of the invoice's orders with what each can still refund."""
    orders = InvoiceOrder.objects.filter(invoice=invoice, applied_at__isnull=False)
    payments = Payment.objects.filter(
        order__in=orders.values("order"), status__in=Payment.CAPTURED_STATES
    ).order_by("-captured_at", "-id")
    out = []
    for payment in payments:
        left = payment.amount_captured - refunds_reserved(payment=payment)
        if left > 0:
            out.append((payment, left))
    return out


def _refund(invoice: Invoice, amount: int, reason: str) -> list[str]:
    """Refund ``amount`` of the invoice's payments; return the refunds' ids."""
    plan, left = [], amount
    for payment, refundable in _refundable_payments(invoice):
        part = min(left, refundable)
        plan.append((payment, part))
        left -= part
        if not left:
            break
    if left:
        raise ValidationFailed(
            [
                FieldError(
                    "credit_to",
                    "not_refundable",
                    "Part of what was paid did not come through the pay link and cannot be "
                    "refunded; credit it to the customer balance.",
                )
            ]
        )
    token = _REFUNDING_FOR_NOTE.set(True)
    try:
        return [
            refund_create(
                merchant=invoice.merchant, payment_id=p.public_id, amount=part, reason=reason
            ).public_id
            for p, part in plan
        ]
    finally:
        _REFUNDING_FOR_NOTE.reset(token)


def _reduce_due(invoice: Invoice, amount: int) -> None:
    invoice.amount_remaining -= amount
    paid = invoice.amount_remaining == 0 and invoice.status == Invoice.Status.OPEN
    if paid:
        transition_run(invoice.pay)
        invoice.paid_at = timezone.now()
    invoice.save()
    event_record(obj=invoice, type="invoice.paid" if paid else "invoice.updated")


def _note_new(invoice: Invoice, **fields) -> CreditNote:
    """Create a credit note of the (locked) invoice with the next number of its series."""
    return CreditNote.objects.create(
        merchant_id=invoice.merchant_id,
        livemode=invoice.livemode,
        invoice=invoice,
        number=number_take(
            merchant_id=invoice.merchant_id,
            livemode=invoice.livemode,
            kind=NumberSeries.Kind.CREDIT_NOTE,
            year=timezone.now().year,
        ),
        currency=invoice.currency,
        **fields,
    )


def credit_note_create(
    *,
    invoice: Invoice,
    reason: str,
    amount: int | None = None,
    lines: Sequence[CreditLineInput] | None = None,
    memo: str = "",
    credit_to: str = "refund",
) -> CreditNote:
    """Issue a credit note on a finalized invoice (for ``amount``, ``lines``, or without either
    all that is still creditable); record ``credit_note.created``."""
    _checked(amount=amount, lines=lines, reason=reason, memo=memo, credit_to=credit_to)
    total, tax, rows = _amounts(amount, lines)
    with transaction.atomic():
        invoice = invoice_lock(invoice)
        if invoice.status not in CREDITABLE:
            raise InvalidTransition(f"A {invoice.status} invoice takes no credit note.")
        creditable = invoice.total - _credited(invoice)
        total = creditable if total is None else total
        if not 0 < total <= creditable:
            raise ValidationFailed(
                [
                    FieldError(
                        "amount", "exceeds_creditable", f"At most {creditable} can be credited."
                    )
                ]
            )
        due_reduction = (
            min(total, invoice.amount_remaining) if invoice.status != Invoice.Status.PAID else 0
        )
        from_paid = total - due_reduction
        note = _note_new(
            invoice,
            amount=total,
            tax=tax,
            due_reduction=due_reduction,
            refund_amount=from_paid if credit_to == "refund" else 0,
            balance_amount=from_paid if credit_to != "refund" else 0,
            reason=reason,
            memo=memo,
        )
        for row in rows:
            row.credit_note = note
        CreditNoteLine.objects.bulk_create(rows)
        if due_reduction:
            _reduce_due(invoice, due_reduction)
        if note.refund_amount:
            note.refunds = _refund(invoice, note.refund_amount, f"Credit note {note.number}")
            note.save(update_fields=["refunds"])
        if note.balance_amount:
            customer_balance_change(
                customer=invoice.customer,
                currency=invoice.currency,
                amount=note.balance_amount,
                kind=CustomerBalanceTransaction.Kind.CREDIT_NOTE,
                reference=f"credit_note:{note.public_id}",
                invoice=invoice,
            )
        event_record(obj=note, type="credit_note.created", sequence=1)
    return note


def credit_note_for_refund(*, order_id: str, refund_id: str, amount: int, reason: str) -> None:
    """Record a refund of an invoice's payment made outside a credit note (the payments API, the
    back office) as a credit note of that invoice, refunded by that refund; called inside the
    refund's transaction, under the payment's lock (the capture's lock order: payment, then
    invoice). A refund a credit note makes is that note's already.

    Only what is still creditable is credited: money the invoice did not take (it went to the
    customer's balance) is not the invoice's to credit.
    """
    if _REFUNDING_FOR_NOTE.get():
        return
    link = (
        InvoiceOrder.objects.filter(order__public_id=order_id, applied_at__isnull=False)
        .select_related("invoice__merchant")
        .first()
    )
    if link is None:
        return
    invoice = invoice_lock(link.invoice)
    if invoice.status not in CREDITABLE:
        return
    amount = min(amount, invoice.total - _credited(invoice))
    if amount <= 0:
        logger.warning("refund %s of invoice %s: nothing left to credit", refund_id, invoice.pk)
        return
    note = _note_new(
        invoice,
        amount=amount,
        refund_amount=amount,
        refunds=[refund_id],
        reason=CreditNote.Reason.OTHER,
        memo=f"Refund {refund_id}: {reason}"[:MEMO_MAX] if reason else f"Refund {refund_id}",
    )
    event_record(obj=note, type="credit_note.created", sequence=1)


def credit_note_refund_failed(*, order_id: str, refund_id: str, amount: int) -> None:
    """A refund of a credit note failed at the institution: the customer was not paid back, so
    what it was to refund is credited to their balance instead (the credit note says so:
    ``refund_amount`` less, ``customer_balance_amount`` more). Called inside the refund's
    transaction; once per refund (the balance transaction's reference is unique)."""
    link = (
        InvoiceOrder.objects.filter(order__public_id=order_id, applied_at__isnull=False)
        .select_related("invoice")
        .first()
    )
    if link is None:
        return
    invoice = invoice_lock(link.invoice)
    notes = CreditNote.objects.select_for_update().filter(invoice=invoice, refund_amount__gt=0)
    note = next((n for n in notes if refund_id in n.refunds), None)
    if note is None:
        return
    amount = min(amount, note.refund_amount)
    note.refund_amount -= amount
    note.balance_amount += amount
    note.save(update_fields=["refund_amount", "balance_amount"])
    customer_balance_change(
        customer=invoice.customer,
        currency=invoice.currency,
        amount=amount,
        kind=CustomerBalanceTransaction.Kind.CREDIT_NOTE,
        reference=f"refund_failed:{refund_id}",
        invoice=invoice,
    )
