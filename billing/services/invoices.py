"""Invoices: drafts with lines, finalizing with a gap-free number, payments applied once, void
and uncollectible. The subscription engine and the invoicing app both write invoices here.

Totals: each line's amount is ``quantity × unit_amount``; its tax is ``amount × rate`` rounded
half-even to the minor unit (per line, as the PDF shows it); the invoice adds them up. Every
change records an ``invoice.*`` event in its transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, Decimal

from django.db import IntegrityError, transaction
from django.db.models import prefetch_related_objects
from django.utils import timezone

from payments.errors import NotFound, ValidationFailed
from payments.money import CURRENCIES
from payments.services import event_record
from payments.transitions import transition_check, transition_run
from payments.validation import FieldError, validate_metadata

from ..models import Customer, Invoice, InvoiceLine, InvoicePayment, NumberSeries, Subscription
from ..sql import series_advance

LINES_MAX = 250
DESCRIPTION_MAX = InvoiceLine._meta.get_field("description").max_length
QUANTITY_MAX = 1_000_000
UNIT_AMOUNT_MAX = 10**15  # below MAX_DIGITS with room for the quantity's product checks
SERIES_PREFIX = {NumberSeries.Kind.INVOICE: "INV", NumberSeries.Kind.CREDIT_NOTE: "CN"}


@dataclass(frozen=True)
class LineInput:
    description: str
    unit_amount: int
    quantity: int = 1
    tax_rate_bps: int = 0
    period_start: datetime | None = None
    period_end: datetime | None = None
    proration: bool = False


def line_totals(*, quantity: int, unit_amount: int, tax_rate_bps: int) -> tuple[int, int]:
    """Return a line's amount and its tax, rounded half-even to the minor unit."""
    amount = quantity * unit_amount
    tax = (Decimal(amount) * tax_rate_bps / 10000).quantize(Decimal(1), rounding=ROUND_HALF_EVEN)
    return amount, int(tax)


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _line_errors(index: int, line: LineInput) -> list[FieldError]:
    where = f"lines[{index}]"
    errors: list[FieldError] = []
    if not isinstance(line.description, str) or not line.description.strip():
        errors.append(FieldError(f"{where}.description", "required", "Describe the line."))
    elif len(line.description) > DESCRIPTION_MAX:
        errors.append(
            FieldError(
                f"{where}.description",
                "too_long",
                f"A description has at most {DESCRIPTION_MAX} characters.",
            )
        )
    if not _is_int(line.quantity) or not 1 <= line.quantity <= QUANTITY_MAX:
        errors.append(
            FieldError(f"{where}.quantity", "out_of_range", f"A quantity is 1 to {QUANTITY_MAX}.")
        )
    if not _is_int(line.unit_amount) or abs(line.unit_amount) > UNIT_AMOUNT_MAX:
        errors.append(
            FieldError(f"{where}.unit_amount", "invalid_amount", "Give an integer in minor units.")
        )
    elif line.unit_amount < 0 and not line.proration:
        errors.append(
            FieldError(
                f"{where}.unit_amount",
                "negative_amount",
                "A line is not negative; reduce what is due with a credit note.",
            )
        )
    if not _is_int(line.tax_rate_bps) or not 0 <= line.tax_rate_bps <= 10000:
        errors.append(
            FieldError(
                f"{where}.tax_rate_bps", "out_of_range", "A tax rate is 0 to 10000 basis points."
            )
        )
    return errors


def _invoice_errors(*, currency, lines, metadata) -> list[FieldError]:
    errors: list[FieldError] = []
    if currency not in CURRENCIES:
        errors.append(
            FieldError("currency", "unsupported_currency", "This currency is not supported.")
        )
    if not lines:
        errors.append(FieldError("lines", "required", "An invoice has at least one line."))
    elif len(lines) > LINES_MAX:
        errors.append(FieldError("lines", "too_many", f"An invoice has at most {LINES_MAX} lines."))
    else:
        for index, line in enumerate(lines):
            errors += _line_errors(index, line)
    errors += validate_metadata(metadata)
    return errors


def _lines_write(invoice: Invoice, lines: Sequence[LineInput]) -> None:
    """Replace the invoice's lines and recompute its totals (the caller saves the invoice)."""
    invoice.lines.all().delete()
    rows = _line_rows(invoice, lines)
    InvoiceLine.objects.bulk_create(rows)
    _totals_set(invoice, rows)


def _line_rows(invoice: Invoice | None, lines: Sequence[LineInput]) -> list[InvoiceLine]:
    rows = []
    for position, line in enumerate(lines):
        amount, tax = line_totals(
            quantity=line.quantity, unit_amount=line.unit_amount, tax_rate_bps=line.tax_rate_bps
        )
        rows.append(
            InvoiceLine(
                invoice=invoice,
                position=position,
                description=line.description.strip(),
                quantity=line.quantity,
                unit_amount=line.unit_amount,
                tax_rate_bps=line.tax_rate_bps,
                amount=amount,
                tax_amount=tax,
                period_start=line.period_start,
                period_end=line.period_end,
                proration=line.proration,
            )
        )
    return rows


def _totals_set(invoice: Invoice, rows: Sequence[InvoiceLine]) -> None:
    invoice.subtotal = sum(r.amount for r in rows)
    invoice.tax = sum(r.tax_amount for r in rows)
    invoice.total = invoice.subtotal + invoice.tax
    invoice.amount_remaining = max(invoice.total - invoice.amount_paid, 0)


def invoice_build(
    *,
    customer: Customer,
    currency: str,
    lines: Sequence[LineInput],
    subscription: Subscription | None = None,
    billing_reason: str = Invoice.BillingReason.MANUAL,
    collection_method: str = Invoice.CollectionMethod.SEND_INVOICE,
    period_start: datetime | None = None,
    period_end: datetime | None = None,
    due_date: date | None = None,
    memo: str = "",
    footer: str = "",
    metadata: dict | None = None,
) -> tuple[Invoice, list[InvoiceLine]]:
    """Return a checked draft invoice with its totals and its line rows, neither saved (the
    renewal batch inserts many at once; ``invoice_create`` one)."""
    metadata = {} if metadata is None else metadata
    errors = _invoice_errors(currency=currency, lines=lines, metadata=metadata)
    if errors:
        raise ValidationFailed(errors)
    rows = _line_rows(None, lines)
    invoice = Invoice(
        merchant_id=customer.merchant_id,
        livemode=customer.livemode,
        customer=customer,
        subscription=subscription,
        billing_reason=billing_reason,
        collection_method=collection_method,
        currency=currency,
        period_start=period_start,
        period_end=period_end,
        due_date=due_date,
        memo=memo,
        footer=footer,
        metadata=metadata,
    )
    _totals_set(invoice, rows)
    return invoice, rows


def invoice_create(
    *,
    customer: Customer,
    currency: str,
    lines: Sequence[LineInput],
    subscription: Subscription | None = None,
    billing_reason: str = Invoice.BillingReason.MANUAL,
    collection_method: str = Invoice.CollectionMethod.SEND_INVOICE,
    period_start: datetime | None = None,
    period_end: datetime | None = None,
    due_date: date | None = None,
    memo: str = "",
    footer: str = "",
    metadata: dict | None = None,
) -> Invoice:
    """Create a draft invoice of the customer's merchant and mode; record ``invoice.created``."""
    invoice, rows = invoice_build(
        customer=customer, currency=currency, lines=lines, subscription=subscription,
        billing_reason=billing_reason, collection_method=collection_method,
        period_start=period_start, period_end=period_end, due_date=due_date, memo=memo,
        footer=footer, metadata=metadata,
    )  # fmt: skip
    # No savepoint: what may fail was checked above, and a database error inside ends the
    # caller's transaction anyway.
    with transaction.atomic(savepoint=False):
        # One INSERT of the invoice and one of its lines.
        invoice.save(force_insert=True)
        for row in rows:
            row.invoice = invoice
        InvoiceLine.objects.bulk_create(rows)
        # Read once for this invoice's events (created, and finalized when the caller goes on).
        prefetch_related_objects([invoice], "lines")
        event_record(obj=invoice, type="invoice.created", sequence=1)
    return invoice


def invoice_lock(invoice: Invoice) -> Invoice:
    """Return the invoice's row locked for this transaction."""
    locked = Invoice.objects.select_for_update().filter(pk=invoice.pk).first()
    if locked is None:
        raise NotFound("No such invoice.")
    return locked


_DRAFT_FIELDS = ("due_date", "memo", "footer", "metadata")


def invoice_update(*, invoice: Invoice, lines: Sequence[LineInput] | None = None, **changes):
    """Change a draft: its lines (all replaced) and any of due date, memo, footer, metadata."""
    unknown = set(changes) - set(_DRAFT_FIELDS)
    if unknown:
        raise TypeError(f"not a draft field: {sorted(unknown)}")
    with transaction.atomic():
        invoice = invoice_lock(invoice)
        if invoice.status != Invoice.Status.DRAFT:
            raise ValidationFailed(
                [FieldError("status", "not_draft", "Only a draft invoice can be changed.")]
            )
        errors = validate_metadata(changes.get("metadata", {}))
        if lines is not None:
            errors += _invoice_errors(currency=invoice.currency, lines=lines, metadata={})
        if errors:
            raise ValidationFailed(errors)
        for name, value in changes.items():
            setattr(invoice, name, value)
        if lines is not None:
            _lines_write(invoice, lines)
        invoice.save()
        event_record(obj=invoice, type="invoice.updated")
    return invoice


def numbers_take(
    *, merchant_id: int, livemode: bool, kind: str, year: int, count: int
) -> list[str]:
    """Take the next ``count`` numbers of the merchant's series for the kind and year, e.g.
    ``INV-2026-000001``, in one UPDATE of its counter row (which holds the row's lock to the
    end of the transaction). Call inside the transaction that uses them: a rollback gives
    them back."""
    taken = series_advance(
        merchant_id=merchant_id, livemode=livemode, kind=kind, year=year, count=count
    )
    if taken is None:
        try:
            with transaction.atomic():
                NumberSeries.objects.create(
                    merchant_id=merchant_id,
                    livemode=livemode,
                    kind=kind,
                    year=year,
                    prefix=SERIES_PREFIX[kind],
                )
        except IntegrityError:
            pass  # another transaction created it first; advance theirs
        taken = series_advance(
            merchant_id=merchant_id, livemode=livemode, kind=kind, year=year, count=count
        )
    prefix, last = taken
    return [f"{prefix}-{year}-{n:06d}" for n in range(last - count + 1, last + 1)]


def number_take(*, merchant_id: int, livemode: bool, kind: str, year: int) -> str:
    """Take the next number of the merchant's series (``numbers_take`` of one)."""
    [number] = numbers_take(
        merchant_id=merchant_id, livemode=livemode, kind=kind, year=year, count=1
    )
    return number


def finalize_check(invoice: Invoice) -> None:
    """Move a draft to ``open`` (in memory); refuse a negative total."""
    transition_run(invoice.finalize, "Only a draft invoice can be finalized.")
    if invoice.total < 0:
        raise ValidationFailed(
            [FieldError("lines", "negative_total", "An invoice's total is not negative.")]
        )


def finalized_set(invoice: Invoice, *, number: str, now: datetime) -> None:
    """Give a checked invoice (``finalize_check``) its number and what is due; one of zero is
    paid at once. In memory: the caller saves."""
    invoice.number = number
    invoice.finalized_at = now
    invoice.amount_remaining = invoice.total - invoice.amount_paid
    if invoice.amount_remaining == 0:
        transition_run(invoice.pay)
        invoice.paid_at = now


def draft_data(data: dict) -> dict:
    """An open invoice's representation as it was while a draft (``invoice.created``)."""
    return {**data, "status": Invoice.Status.DRAFT, "number": None, "finalized_at": None}


def invoice_finalize(
    *, invoice: Invoice, now: datetime | None = None, locked: bool = False
) -> Invoice:
    """Open a draft: give it its number, fix what is due; one of zero is paid at once.

    ``locked``: the caller holds the invoice's row lock (or wrote the row in its open
    transaction), so ``invoice`` is used as it is, not read again, and no savepoint is taken
    (an error rolls back the caller's transaction)."""
    now = now or timezone.now()
    with transaction.atomic(savepoint=not locked):
        if not locked:
            invoice = invoice_lock(invoice)
        finalize_check(invoice)
        number = number_take(
            merchant_id=invoice.merchant_id,
            livemode=invoice.livemode,
            kind=NumberSeries.Kind.INVOICE,
            year=now.year,
        )
        finalized_set(invoice, number=number, now=now)
        invoice.save()
        event_record(obj=invoice, type="invoice.finalized")
        if invoice.status == Invoice.Status.PAID:
            event_record(obj=invoice, type="invoice.paid")
    return invoice


def invoice_payment_apply(
    *,
    invoice: Invoice,
    amount: int,
    reference: str,
    now: datetime | None = None,
    locked: bool = False,
) -> InvoicePayment:
    """Apply a payment of ``amount`` (the invoice's currency) once per ``reference``.

    What goes beyond the amount remaining is kept as the record's ``excess`` for the caller to
    credit; the invoice is ``paid`` when nothing remains. The same reference again returns the
    first record and changes nothing. ``locked``: the caller holds the invoice's row lock and
    passes the row it read under it (no savepoint: an error rolls back the caller's work).
    """
    if not _is_int(amount) or amount <= 0:
        raise ValidationFailed([FieldError("amount", "invalid_amount", "Apply a positive amount.")])
    now = now or timezone.now()
    with transaction.atomic(savepoint=not locked):
        if not locked:
            invoice = invoice_lock(invoice)
        existing = InvoicePayment.objects.filter(invoice=invoice, reference=reference).first()
        if existing is not None:
            return existing
        record = payment_set(invoice, amount=amount, reference=reference, now=now)
        record.save(force_insert=True)
        invoice.save()
        event_record(obj=invoice, type=payment_event(invoice))
    return record


def payment_set(invoice: Invoice, *, amount: int, reference: str, now: datetime) -> InvoicePayment:
    """Apply ``amount`` to the invoice in memory; return its payment record, not saved (the
    caller saves both; the renewal batch many at once)."""
    transition_check(invoice.pay, "Only an open or uncollectible invoice can be paid.")
    applied = min(amount, invoice.amount_remaining)
    invoice.amount_paid += applied
    invoice.amount_remaining -= applied
    if invoice.amount_remaining == 0:  # a part payment leaves the status as it was
        transition_run(invoice.pay)
        invoice.paid_at = now
        invoice.next_payment_attempt = None
    return InvoicePayment(
        invoice=invoice, reference=reference, amount=amount, excess=amount - applied
    )


def payment_event(invoice: Invoice) -> str:
    """The event of a payment just applied by ``payment_set``."""
    return "invoice.paid" if invoice.status == Invoice.Status.PAID else "invoice.updated"


def invoice_void(*, invoice: Invoice, now: datetime | None = None) -> Invoice:
    """Void an open or uncollectible invoice: nothing is owed any more."""
    with transaction.atomic():
        invoice = invoice_lock(invoice)
        transition_run(invoice.void, "Only an open or uncollectible invoice can be voided.")
        invoice.voided_at = now or timezone.now()
        invoice.next_payment_attempt = None
        invoice.save()
        event_record(obj=invoice, type="invoice.voided")
    return invoice


def invoice_mark_uncollectible(*, invoice: Invoice) -> Invoice:
    """Mark an open invoice uncollectible (it may still be paid later)."""
    with transaction.atomic():
        invoice = invoice_lock(invoice)
        transition_run(invoice.mark_uncollectible, "Only an open invoice can be uncollectible.")
        invoice.next_payment_attempt = None
        invoice.save()
        event_record(obj=invoice, type="invoice.marked_uncollectible")
    return invoice
