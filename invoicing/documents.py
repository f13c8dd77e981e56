"""What an invoice shows, the same on the hosted page, in the PDF and in the e-mail; and what a
credit note's PDF shows.

``invoice_document`` reads the invoice, its lines and the merchant's invoicing profile once and
returns plain values: the templates compute nothing about money (``credit_note_document`` too).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

import segno
import segno.helpers

from payments.money import to_major

from .models import InvoicingProfile


@dataclass(frozen=True)
class DocumentLine:
    description: str
    quantity: int
    unit_amount: int
    tax_rate_bps: int
    amount: int  # quantity x unit amount, before tax
    tax: int


@dataclass(frozen=True)
class TaxRow:
    """One rate of the tax summary: the amounts taxed at it and the tax."""

    rate_bps: int
    base: int
    tax: int

    @property
    def rate_text(self) -> str:
        whole, rest = divmod(self.rate_bps, 100)
        return f"{whole}%" if not rest else f"{whole}.{rest:02d}".rstrip("0") + "%"


@dataclass(frozen=True)
class Seller:
    name: str
    address: tuple[str, ...]
    tax_id: str
    email: str
    iban: str
    bic: str


@dataclass(frozen=True)
class InvoiceDocument:
    public_id: str
    number: str
    status: str
    livemode: bool
    currency: str
    issued: date | None
    due_date: date | None
    memo: str
    footer: str
    seller: Seller
    customer_name: str
    customer_email: str
    lines: tuple[DocumentLine, ...]
    tax_rows: tuple[TaxRow, ...]
    subtotal: int
    tax: int
    total: int
    amount_paid: int
    amount_remaining: int
    pay_url: str
    pay_qr: str  # data URI of the pay link's QR code ("" without a link)
    epc_qr: str  # data URI of the EPC (SEPA credit transfer) QR code, EUR invoices only

    @property
    def payable(self) -> bool:
        return self.status == "open" and self.amount_remaining > 0


def seller_for(merchant) -> Seller:
    """Return the merchant's details as invoices show them (its name when it set none)."""
    profile = InvoicingProfile.objects.filter(merchant=merchant).first()
    if profile is None:
        return Seller(merchant.name, (), "", "", "", "")
    return Seller(
        name=profile.legal_name or merchant.name,
        address=tuple(line for line in profile.address.splitlines() if line.strip()),
        tax_id=profile.tax_id,
        email=profile.email,
        iban=profile.iban,
        bic=profile.bic,
    )


def tax_summary(lines) -> tuple[TaxRow, ...]:
    """Return one row per tax rate, highest rate first (a 0% rate is listed too)."""
    base: dict[int, int] = defaultdict(int)
    tax: dict[int, int] = defaultdict(int)
    for line in lines:
        base[line.tax_rate_bps] += line.amount
        tax[line.tax_rate_bps] += line.tax
    return tuple(TaxRow(rate, base[rate], tax[rate]) for rate in sorted(base, reverse=True))


def _qr_data_uri(qr) -> str:
    return qr.svg_data_uri(scale=3, border=2)


def epc_qr(*, seller: Seller, currency: str, amount: int, text: str) -> str:
    """Return the EPC QR code (a SEPA credit transfer the payer's bank app reads) as a data URI;
    "" unless the invoice is in EUR, something is due and the merchant gave an IBAN."""
    if currency != "EUR" or amount <= 0 or not seller.iban:
        return ""
    qr = segno.helpers.make_epc_qr(
        name=seller.name[:70],
        iban=seller.iban,
        amount=to_major(amount, currency),
        text=text[:140],
        bic=seller.bic or None,
    )
    return _qr_data_uri(qr)


def invoice_document(*, invoice, pay_url: str) -> InvoiceDocument:
    """Return what the invoice shows; ``pay_url`` is its hosted page ("" for a draft)."""
    lines = tuple(
        DocumentLine(
            description=line.description,
            quantity=line.quantity,
            unit_amount=line.unit_amount,
            tax_rate_bps=line.tax_rate_bps,
            amount=line.amount,
            tax=line.tax_amount,
        )
        for line in invoice.lines.all()
    )
    seller = seller_for(invoice.merchant)
    number = invoice.number or ""
    return InvoiceDocument(
        public_id=invoice.public_id,
        number=number,
        status=invoice.status,
        livemode=invoice.livemode,
        currency=invoice.currency,
        issued=invoice.finalized_at.date() if invoice.finalized_at else None,
        due_date=invoice.due_date,
        memo=invoice.memo,
        footer=invoice.footer,
        seller=seller,
        customer_name=invoice.customer.name,
        customer_email=invoice.customer.email,
        lines=lines,
        tax_rows=tax_summary(lines),
        subtotal=invoice.subtotal,
        tax=invoice.tax,
        total=invoice.total,
        amount_paid=invoice.amount_paid,
        amount_remaining=invoice.amount_remaining,
        pay_url=pay_url,
        pay_qr=_qr_data_uri(segno.make(pay_url, error="m")) if pay_url else "",
        epc_qr=epc_qr(
            seller=seller,
            currency=invoice.currency,
            amount=invoice.amount_remaining if invoice.status == "open" else 0,
            text=number or invoice.public_id,
        ),
    )


@dataclass(frozen=True)
class CreditNoteDocument:
    public_id: str
    number: str
    livemode: bool
    currency: str
    issued: date
    reason: str  # as people read it ("Order change")
    memo: str
    seller: Seller
    customer_name: str
    customer_email: str
    invoice_number: str
    invoice_issued: date | None
    lines: tuple[DocumentLine, ...]
    tax_rows: tuple[TaxRow, ...]
    subtotal: int
    tax: int
    amount: int
    due_reduction: int
    refund_amount: int
    balance_amount: int


def credit_note_document(*, note) -> CreditNoteDocument:
    """Return what the credit note shows: its lines, or without lines one line crediting the
    invoice its amount (tax included)."""
    invoice = note.invoice
    invoice_number = invoice.number or invoice.public_id
    lines = tuple(
        DocumentLine(
            description=line.description,
            quantity=line.quantity,
            unit_amount=line.unit_amount,
            tax_rate_bps=line.tax_rate_bps,
            amount=line.amount,
            tax=line.tax,
        )
        for line in note.lines.all()
    ) or (DocumentLine(f"Credit on invoice {invoice_number}", 1, note.amount, 0, note.amount, 0),)
    return CreditNoteDocument(
        public_id=note.public_id,
        number=note.number,
        livemode=note.livemode,
        currency=note.currency,
        issued=note.created.date(),
        reason=note.get_reason_display().capitalize(),
        memo=note.memo,
        seller=seller_for(invoice.merchant),
        customer_name=invoice.customer.name,
        customer_email=invoice.customer.email,
        invoice_number=invoice_number,
        invoice_issued=invoice.finalized_at.date() if invoice.finalized_at else None,
        lines=lines,
        tax_rows=tax_summary(lines) if note.tax else (),
        subtotal=note.amount - note.tax,
        tax=note.tax,
        amount=note.amount,
        due_reduction=note.due_reduction,
        refund_amount=note.refund_amount,
        balance_amount=note.balance_amount,
    )
