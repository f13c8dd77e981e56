"""Read-side queries of the ledger: balances are sums of postings, invariants are SQL aggregates.

Balances are signed as postings are: debit positive, credit negative. Accounts whose money is
owed to someone (merchant_pending, merchant_payable, platform_fees) therefore carry negative
balances; negate them to read "how much is owed".
"""

from __future__ import annotations

from django.db.models import F, Q, Sum

from ledger.models import JournalEntry, Posting

__all__ = ["account_balance", "balances_for_owner", "ledger_imbalance", "ledger_violations"]


def account_balance(*, owner: str, kind: str, currency: str) -> int:
    """Return the sum of the account's postings in minor units; 0 for an account never used."""
    total = Posting.objects.filter(
        account__owner=owner, account__kind=kind, account__currency=currency
    ).aggregate(total=Sum("amount"))["total"]
    return total or 0


def balances_for_owner(*, owner: str) -> dict[tuple[str, str], int]:
    """Return the balance of each of the owner's accounts, keyed by (kind, currency)."""
    rows = (
        Posting.objects.filter(account__owner=owner)
        .values_list("account__kind", "account__currency")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    return {(kind, currency): total for kind, currency, total in rows}


def ledger_violations() -> list[str]:
    """Return a description of each broken ledger invariant; an empty list for a sound ledger.

    Checked: the postings of every journal entry sum to zero per currency, every entry has
    postings, and every posting is in its account's currency.
    """
    violations = []
    unbalanced = (
        Posting.objects.values("entry_id", "currency")
        .annotate(total=Sum("amount"))
        .filter(~Q(total=0))
        .order_by("entry_id", "currency")
    )
    violations += [
        f"journal entry {row['entry_id']}: {row['currency']} postings sum to {row['total']}, not 0"
        for row in unbalanced
    ]
    empty = JournalEntry.objects.filter(postings__isnull=True).order_by("pk")
    violations += [f"journal entry {pk}: no postings" for pk in empty.values_list("pk", flat=True)]
    mismatched = (
        Posting.objects.exclude(currency=F("account__currency"))
        .order_by("pk")
        .values_list("pk", "entry_id", "currency", "account__currency")
    )
    violations += [
        f"posting {pk} of journal entry {entry_id}: currency {currency}"
        f" differs from its account's {account_currency}"
        for pk, entry_id, currency, account_currency in mismatched
    ]
    return violations


def ledger_imbalance() -> dict[str, int]:
    """Return, for every currency of the ledger, the minor units by which its journal entries
    fail to balance (the sum of each unbalanced entry's absolute total): 0 for a sound ledger.

    Two aggregate statements, whatever the size of the ledger; the metrics scrape reads it.
    """
    imbalance = dict.fromkeys(
        Posting.objects.order_by().values_list("currency", flat=True).distinct(), 0
    )
    unbalanced = (
        Posting.objects.values("entry_id", "currency")
        .annotate(total=Sum("amount"))
        .filter(~Q(total=0))
        .order_by()
        .values_list("currency", "total")
    )
    for currency, total in unbalanced:
        imbalance[currency] += abs(total)  # every currency with a posting is a key already
    return imbalance
