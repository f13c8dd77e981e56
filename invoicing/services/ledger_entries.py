"""The journal entries of invoicing: memorandum accounts that mirror what customers owe.

``customer_receivable`` (owner: the customer) holds what is still due on the customer's open
and uncollectible invoices; ``customer_credit`` (owner: the customer) is their credit balance
(a credit: the merchant owes it); ``merchant_invoiced`` (owner: the merchant) is the other side
of both. The money itself is in the payment core's entries (capture, refund).
"""

from __future__ import annotations

from django.db.models import Sum

from ledger.models import Posting
from ledger.services import Line, journal_post


def receivable_of(*, invoice_id: str) -> int:
    """Return what the ledger holds as due on the invoice (its ``invoice`` entries)."""
    total = Posting.objects.filter(
        account__kind="customer_receivable",
        entry__kind="invoice",
        entry__reference=invoice_id,
    ).aggregate(s=Sum("amount"))["s"]
    return total or 0


def ledger_invoice_sync(
    *,
    invoice_id: str,
    customer_id: str,
    merchant_id: str,
    currency: str,
    due: int,
    description: str,
    key: str,
) -> None:
    """Post what makes the invoice's receivable equal ``due`` (nothing if it already is)."""
    change = due - receivable_of(invoice_id=invoice_id)
    if not change:
        return
    journal_post(
        kind="invoice",
        reference=invoice_id,
        description=description,
        idempotency_key=key,
        lines=[
            Line(owner=customer_id, kind="customer_receivable", currency=currency, amount=change),
            Line(owner=merchant_id, kind="merchant_invoiced", currency=currency, amount=-change),
        ],
    )


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
