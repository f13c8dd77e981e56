"""Read-side queries of settlement, each scoped to one merchant and one mode (test or live)."""

from __future__ import annotations

from django.db.models import QuerySet

from payments.errors import NotFound
from payments.models import Merchant

from .models import ReconciliationRun, SettlementBatch


def settlement_list(*, merchant: Merchant, livemode: bool) -> QuerySet[SettlementBatch]:
    """Return the merchant's settlement batches of one mode, newest first."""
    return (
        SettlementBatch.objects.filter(merchant=merchant, livemode=livemode)
        .select_related("payout")
        .order_by("-created", "-id")
    )


def settlement_get(*, merchant: Merchant, livemode: bool, settlement_id: str) -> SettlementBatch:
    """Return one of the merchant's batches; another merchant's or mode's is ``NotFound``."""
    batch = (
        settlement_list(merchant=merchant, livemode=livemode)
        .filter(public_id=settlement_id)
        .first()
    )
    if batch is None:
        raise NotFound("No such settlement.")
    return batch


def reconciliation_last() -> ReconciliationRun | None:
    """Return the most recent reconciliation run, if any."""
    return ReconciliationRun.objects.order_by("-started_at", "-id").first()
