"""Adjustments: money other apps take from (or give back to) a merchant's pending balance
outside captures and refunds, netted by the merchant's next settlement batch.

Settlement never imports those apps. An app that moves money on a merchant's ``merchant_pending``
account (``risk``: a dispute takes the disputed amount and its fee at opening, and gives both back
if won) registers a source in its ``AppConfig.ready`` with ``adjustment_source_register``. A
source answers every adjustment that occurred before a cut-off, each under a stable reference
(``dispute:dp_…:open``); settlement keeps the ones not in a batch yet, and the batch closed for
that merchant, currency and mode at the cut-off records each as a ``SettlementAdjustment`` (a
reference is settled at most once, by a unique constraint) and lowers its net by their sum.

The ledger needs no entry of its own here: the source posted the adjustment on
``merchant_pending`` when it happened, and the batch's entry moves only ``fees + payout`` out of
pending, which is what is left once the adjustments are deducted.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Sum

from .models import SettlementAdjustment, SettlementBatch


@dataclass(frozen=True)
class Adjustment:
    """One adjustment of a merchant's balance; ``amount`` > 0 is taken from the merchant."""

    merchant_id: int
    currency: str
    livemode: bool
    reference: str
    description: str
    amount: int
    occurred_at: datetime


#: ``(*, cutoff, merchant_ids) -> iterable of Adjustment`` that occurred before ``cutoff``, of the
#: given merchants (every merchant when None), settled or not: settlement skips the settled ones.
AdjustmentSource = Callable[..., Iterable[Adjustment]]

_SOURCES: list[AdjustmentSource] = []


def adjustment_source_register(source: AdjustmentSource) -> None:
    if source not in _SOURCES:
        _SOURCES.append(source)


def adjustments_pending(
    *, cutoff: datetime, merchant_ids: list[int] | None = None
) -> list[Adjustment]:
    """Every registered adjustment before ``cutoff`` that no batch has settled yet."""
    found = [
        adjustment
        for source in _SOURCES
        for adjustment in source(cutoff=cutoff, merchant_ids=merchant_ids)
    ]
    if not found:
        return []
    settled = set(
        SettlementAdjustment.objects.filter(reference__in=[a.reference for a in found]).values_list(
            "reference", flat=True
        )
    )
    return [a for a in found if a.reference not in settled]


def adjustment_groups(*, cutoff: datetime) -> dict[tuple[int, str, bool], int]:
    """``(merchant_id, currency, livemode) -> how many`` pending adjustments before ``cutoff``."""
    groups: dict[tuple[int, str, bool], int] = defaultdict(int)
    for a in adjustments_pending(cutoff=cutoff):
        groups[(a.merchant_id, a.currency, a.livemode)] += 1
    return dict(groups)


def adjustments_attach(batches: list[SettlementBatch], *, cutoff: datetime) -> None:
    """Record the pending adjustments of the batches' groups in them. The caller holds the
    merchant rows, so no other run attaches the same adjustments meanwhile."""
    by_group = {(b.merchant_id, b.currency, b.livemode): b for b in batches}
    pending = adjustments_pending(
        cutoff=cutoff, merchant_ids=sorted({b.merchant_id for b in batches})
    )
    SettlementAdjustment.objects.bulk_create(
        SettlementAdjustment(
            batch=by_group[(a.merchant_id, a.currency, a.livemode)],
            reference=a.reference,
            description=a.description[:200],
            amount=a.amount,
            occurred_at=a.occurred_at,
        )
        for a in pending
        if (a.merchant_id, a.currency, a.livemode) in by_group
    )


def adjustment_totals(batches: list[SettlementBatch]) -> dict[int, dict[str, int]]:
    """``batch pk -> {adjustment_count, adjustments_amount}`` of the batches that have any."""
    rows = (
        SettlementAdjustment.objects.filter(batch__in=[b.pk for b in batches])
        .order_by()
        .values("batch_id")
        .annotate(adjustment_count=Count("id"), adjustments_amount=Sum("amount"))
    )
    return {row.pop("batch_id"): row for row in rows}
