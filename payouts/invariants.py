"""Bulk payouts' money invariant, for ``merchant_portal.invariants``.

What the ledger holds for a merchant's payouts (``merchant_payout_hold``) is exactly the amount
of their approved payouts not yet paid or failed, per currency.
"""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Sum

from ledger.models import Posting

from .models import PayoutBatch, PayoutItem

HELD_BATCHES = [PayoutBatch.Status.APPROVED, PayoutBatch.Status.PROCESSING]
HELD_ITEMS = [PayoutItem.Status.PENDING, PayoutItem.Status.PROCESSING]


def payout_violations() -> list[str]:
    """Return a description of each (merchant, currency) whose hold differs from its payouts."""
    expected: dict[tuple[str, str], int] = defaultdict(int)
    held = (
        PayoutItem.objects.filter(status__in=HELD_ITEMS, batch__status__in=HELD_BATCHES)
        .values_list("merchant__public_id", "currency")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    for owner, currency, total in held:
        expected[owner, currency] = -total
    posted = (
        Posting.objects.filter(account__kind="merchant_payout_hold")
        .values_list("account__owner", "account__currency")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    actual = {(owner, currency): total or 0 for owner, currency, total in posted}
    return [
        f"payouts hold {owner} {currency}: ledger {actual.get((owner, currency), 0)}, "
        f"approved unpaid payouts {expected.get((owner, currency), 0)}"
        for owner, currency in sorted(set(expected) | set(actual))
        if expected.get((owner, currency), 0) != actual.get((owner, currency), 0)
    ]
