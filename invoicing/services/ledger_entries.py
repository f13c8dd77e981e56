"""The journal entries of invoicing: memorandum accounts that mirror what customers owe.

``customer_receivable`` (owner: the customer) holds what is still due on the customer's open
and uncollectible invoices; ``customer_credit`` (owner: the customer) is their credit balance
(a credit: the merchant owes it); ``merchant_invoiced`` (owner: the merchant) is the other side
of both. The money itself is in the payment core's entries (capture, refund).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Sum

from ledger.models import Posting
from ledger.services import EntryInput, Line, journal_post, journal_post_many


@dataclass(frozen=True)
class InvoiceDue:
    """What an invoice event says is due on the invoice (0 once paid or void)."""

    invoice_id: str
    customer_id: str
    merchant_id: str
    currency: str
    due: int
    description: str
    key: str


def receivables_of(invoice_ids: set[str]) -> dict[str, int]:
    """Return what the ledger holds as due on each invoice (its ``invoice`` entries)."""
    rows = (
        Posting.objects.filter(
            account__kind="customer_receivable",
            entry__kind="invoice",
            entry__reference__in=invoice_ids,
        )
        .values_list("entry__reference")
        .annotate(s=Sum("amount"))
        .order_by()
    )
    return dict.fromkeys(invoice_ids, 0) | dict(rows)


def ledger_invoices_sync(dues: list[InvoiceDue]) -> None:
    """Post what makes each invoice's receivable equal its ``due``, in the order given (nothing
    for one that already is): one read and one ``journal_post_many`` for them all."""
    held = receivables_of({due.invoice_id for due in dues})
    entries = []
    for due in dues:
        change = due.due - held[due.invoice_id]
        if not change:
            continue
        held[due.invoice_id] = due.due
        entries.append(
            EntryInput(
                kind="invoice",
                reference=due.invoice_id,
                description=due.description,
                idempotency_key=due.key,
                lines=[
                    Line(due.customer_id, "customer_receivable", due.currency, change),
                    Line(due.merchant_id, "merchant_invoiced", due.currency, -change),
                ],
            )
        )
    if entries:
        journal_post_many(entries)


def ledger_customer_credit(
    *,
    customer_id: str,
    merchant_id: str,
    currency: str,
    amount: int,
    kind: str,
    reference: str,
    description: str,
) -> None:
    """Credit (``amount`` > 0) or use (< 0) the customer's credit balance."""
    journal_post(
        kind=kind,
        reference=reference,
        description=description,
        idempotency_key=f"customer-credit:{reference}",
        lines=[
            Line(owner=customer_id, kind="customer_credit", currency=currency, amount=-amount),
            Line(owner=merchant_id, kind="merchant_invoiced", currency=currency, amount=amount),
        ],
    )
