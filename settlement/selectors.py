"""Read-side queries of settlement, each scoped to one merchant and one mode (test or live)."""

from __future__ import annotations

from django.db.models import QuerySet, Sum

from payments.errors import NotFound
from payments.models import Merchant, Payment
from payments.selectors import payments_of_merchants

from .models import Payout, ReconciliationRun, SettlementBatch


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


def unsettled_totals(*, merchant_ids: list[int] | None, livemode: bool) -> list[tuple[str, int]]:
    """Return (currency, net) of captured money in no settlement batch yet, net of refunds."""
    payments = payments_of_merchants(merchant_ids=merchant_ids, livemode=livemode).filter(
        status__in=Payment.CAPTURED_STATES, settlement_line__isnull=True
    )
    rows = (
        payments.values("currency")
        .annotate(captured=Sum("amount_captured"), refunded=Sum("amount_refunded"))
        .order_by("currency")
    )
    return [(r["currency"], (r["captured"] or 0) - (r["refunded"] or 0)) for r in rows]


def payouts_upcoming(
    *, merchant_ids: list[int] | None, livemode: bool, today, limit: int = 5
) -> list[Payout]:
    """Return the payouts not yet paid whose date is ``today`` or later, soonest first."""
    payouts = Payout.objects.filter(livemode=livemode, payout_date__gte=today).exclude(
        status=Payout.Status.PAID
    )
    if merchant_ids is not None:
        payouts = payouts.filter(merchant__in=merchant_ids)
    return list(payouts.order_by("payout_date", "id")[:limit])
