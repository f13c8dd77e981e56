"""The money invariants of invoicing, checked with set-based queries (``check_invariants``).

- An invoice's ledger receivable equals what it says is due (0 once paid or void).
- What an open or paid invoice totals is what was paid, what is due and what credit notes took
  off what was due.
- A customer's credit balance is the sum of its transactions and the ledger's
  ``customer_credit`` account (a credit) holds the same.
"""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Sum
from django.db.models.functions import Coalesce

from billing.models import Invoice
from ledger.models import Posting

from .models import CreditNote, CustomerBalance, CustomerBalanceTransaction

LIMIT = 50
DUE_STATES = (Invoice.Status.OPEN, Invoice.Status.UNCOLLECTIBLE)


def receivable_violations() -> list[str]:
    ledger = dict(
        Posting.objects.filter(account__kind="customer_receivable", entry__kind="invoice")
        .values("entry__reference")
        .annotate(s=Sum("amount"))
        .values_list("entry__reference", "s")
    )
    out = []
    invoices = Invoice.objects.exclude(status=Invoice.Status.DRAFT).values_list(
        "public_id", "status", "amount_remaining"
    )
    for public_id, status, remaining in invoices.iterator():
        due = remaining if status in DUE_STATES else 0
        if ledger.get(public_id, 0) != due:
            out.append(
                f"invoice {public_id}: ledger receivable {ledger.get(public_id, 0)}, due {due}"
            )
            if len(out) >= LIMIT:
                break
    return out


def totals_violations() -> list[str]:
    reduced = dict(
        CreditNote.objects.values("invoice_id")
        .annotate(s=Sum("due_reduction"))
        .values_list("invoice_id", "s")
    )
    out = []
    rows = Invoice.objects.filter(status__in=[*DUE_STATES, Invoice.Status.PAID]).values_list(
        "pk", "public_id", "total", "amount_paid", "amount_remaining"
    )
    for pk, public_id, total, paid, remaining in rows.iterator():
        if paid + remaining + reduced.get(pk, 0) != total:
            out.append(f"invoice {public_id}: paid + due + credited differs from its total")
            if len(out) >= LIMIT:
                break
    return out


def balance_violations() -> list[str]:
    sums = dict(
        ((row["customer__public_id"], row["currency"]), row["s"])
        for row in CustomerBalanceTransaction.objects.values(
            "customer__public_id", "currency"
        ).annotate(s=Coalesce(Sum("amount"), 0))
    )
    credit: dict[tuple[str, str], int] = defaultdict(int)
    for owner, currency, total in (
        Posting.objects.filter(account__kind="customer_credit")
        .values("account__owner", "account__currency")
        .annotate(s=Sum("amount"))
        .values_list("account__owner", "account__currency", "s")
    ):
        credit[(owner, currency)] = -total
    out = []
    balances = CustomerBalance.objects.values_list("customer__public_id", "currency", "amount")
    for customer, currency, amount in balances.iterator():
        key = (customer, currency)
        if amount != sums.get(key, 0) or amount != credit.get(key, 0):
            out.append(f"customer {customer} {currency}: balance {amount} differs")
            if len(out) >= LIMIT:
                break
    return out


def invoicing_violations() -> list[str]:
    """Return every violation of invoicing's invariants (empty when all hold)."""
    return receivable_violations() + totals_violations() + balance_violations()
