"""Reads: invoices with their pay link, credit notes, the invoice behind a pay link."""

from __future__ import annotations

from django.db.models import OuterRef, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from billing.models import Invoice
from billing.selectors import invoice_list
from payments.errors import NotFound
from payments.models import Merchant

from .models import CreditNote, HostedInvoice, InvoiceOrder
from .services.drafts import hosted_invoice_url


def _credit_note_sum(field: str):
    notes = (
        CreditNote.objects.filter(invoice=OuterRef("pk"))
        .order_by()
        .values("invoice")
        .annotate(s=Sum(field))
        .values("s")
    )
    return Coalesce(Subquery(notes), 0)


def invoice_list_with_links(*, merchant: Merchant, livemode: bool) -> QuerySet[Invoice]:
    """Return billing's invoice list with each invoice's pay link row and what its credit notes
    credited and refunded."""
    return (
        invoice_list(merchant=merchant, livemode=livemode)
        .select_related("hosted")
        .annotate(
            credited_sum=_credit_note_sum("amount"), refunded_sum=_credit_note_sum("refund_amount")
        )
    )


def _credit_sums(invoice: Invoice) -> tuple[int, int]:
    if hasattr(invoice, "credited_sum"):  # annotated by the list
        return invoice.credited_sum, invoice.refunded_sum
    sums = CreditNote.objects.filter(invoice=invoice).aggregate(
        credited=Coalesce(Sum("amount"), 0), refunded=Coalesce(Sum("refund_amount"), 0)
    )
    return sums["credited"], sums["refunded"]


def invoice_data(invoice: Invoice) -> dict:
    """Return the invoice as the API shows it: billing's fields, what its credit notes credited
    and refunded, the pay link and the PDF."""
    hosted = getattr(invoice, "hosted", None)  # selected with the list; one query otherwise
    shows_link = hosted is not None and invoice.status != Invoice.Status.DRAFT
    credited, refunded = _credit_sums(invoice)
    return invoice.api_data() | {
        "amount_credited": credited,
        "amount_refunded": refunded,
        "hosted_invoice_url": hosted_invoice_url(hosted) if shows_link else None,
        "invoice_pdf": f"/api/v1/invoices/{invoice.public_id}/pdf",
    }


def pay_link_get(token: str) -> HostedInvoice | None:
    """Return the pay link with this token, with its finalized invoice (None for none or a
    draft's)."""
    hosted = (
        HostedInvoice.objects.select_related("invoice__merchant", "invoice__customer")
        .filter(token=token)
        .exclude(invoice__status=Invoice.Status.DRAFT)
        .first()
    )
    return hosted


def invoice_orders_waiting(invoice: Invoice) -> list[InvoiceOrder]:
    """Return the invoice's orders still pending, newest first (a transfer may be awaited)."""
    return list(
        InvoiceOrder.objects.filter(invoice=invoice, order__status="pending")
        .select_related("order")
        .order_by("-id")[:10]
    )


def credit_note_list(*, invoice: Invoice) -> QuerySet[CreditNote]:
    return (
        CreditNote.objects.filter(invoice=invoice)
        .select_related("invoice")
        .prefetch_related("lines")
        .order_by("-created", "-id")
    )


def credit_note_get(*, merchant: Merchant, livemode: bool, credit_note_id: str) -> CreditNote:
    found = (
        CreditNote.objects.filter(merchant=merchant, livemode=livemode, public_id=credit_note_id)
        .select_related("invoice")
        .first()
    )
    if found is None:
        raise NotFound("No such credit note.")
    return found


def credit_note_of_invoice(*, invoice: Invoice, credit_note_id: str) -> CreditNote:
    """Return the invoice's credit note with this id (the invoice is already the caller's)."""
    found = (
        CreditNote.objects.filter(invoice=invoice, public_id=credit_note_id)
        .select_related("invoice__merchant", "invoice__customer")
        .prefetch_related("lines")
        .first()
    )
    if found is None:
        raise NotFound("No such credit note.")
    return found
