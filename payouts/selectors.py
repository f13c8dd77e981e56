"""Reads: balances bulk payouts draw on, batches of a merchant and mode, and their progress."""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Count, QuerySet, Sum

from billing.models import PaymentMethod
from ledger.models import Posting
from payments.errors import NotFound
from payments.models import Merchant
from settlement.models import Payout as SettlementPayout

from .models import ChargeBatch, ChargeItem, PayoutBatch, PayoutItem

#: The merchant's settled money not yet paid out (a credit balance: negated to read it).
BALANCE_ACCOUNT = "merchant_payable"
HOLD_ACCOUNT = "merchant_payout_hold"


def payout_balances_available(*, merchant: Merchant) -> dict[str, int]:
    """Return the merchant's available balance per currency it holds, in minor units.

    The settled balance (``merchant_payable``, what settlement has closed and not yet paid out)
    less the settlement payouts already scheduled to the merchant's own bank, which will take
    it (on manual payouts there are none); approved batches' holds are already taken out of it.
    Currencies it never held are absent.
    """
    rows = (
        Posting.objects.filter(account__owner=merchant.public_id, account__kind=BALANCE_ACCOUNT)
        .values_list("account__currency")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    balances = {currency: -(total or 0) for currency, total in rows}
    scheduled = (
        SettlementPayout.objects.filter(merchant=merchant, status=SettlementPayout.Status.SCHEDULED)
        .values_list("currency")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    for currency, total in scheduled:
        if currency in balances:
            balances[currency] -= total or 0
    return balances


def payout_references_used(*, merchant: Merchant, livemode: bool, references) -> set[str]:
    """Return which of ``references`` earlier payouts of the merchant and mode already have."""
    found = PayoutItem.objects.filter(
        merchant=merchant, livemode=livemode, reference__in=list(references)
    )
    return set(found.values_list("reference", flat=True))


def payout_batch_list(*, merchant: Merchant, livemode: bool) -> QuerySet[PayoutBatch]:
    return PayoutBatch.objects.filter(merchant=merchant, livemode=livemode).order_by(
        "-created", "-id"
    )


def payout_batch_get(*, merchant: Merchant, livemode: bool, batch_id: str) -> PayoutBatch:
    batch = payout_batch_list(merchant=merchant, livemode=livemode).filter(public_id=batch_id)
    found = batch.first()
    if found is None:
        raise NotFound("No such payout batch.")
    return found


def payout_batch_summary(*, batch: PayoutBatch) -> dict:
    """Count and totals per currency of the batch's items, and how many are in each status."""
    if batch.pk is None:
        return {"count": 0, "totals": {}, "by_status": {}}
    rows = (
        PayoutItem.objects.filter(batch=batch)
        .values_list("currency", "status")
        .annotate(n=Count("id"), total=Sum("amount"))
        .order_by()
    )
    totals: dict[str, int] = defaultdict(int)
    by_status: dict[str, int] = defaultdict(int)
    count = 0
    for currency, status, n, total in rows:
        totals[currency] += total
        by_status[status] += n
        count += n
    return {"count": count, "totals": dict(sorted(totals.items())), "by_status": dict(by_status)}


def payout_item_list(*, batch: PayoutBatch) -> QuerySet[PayoutItem]:
    return PayoutItem.objects.filter(batch=batch).select_related("recipient", "batch")


def saved_methods_for(*, merchant: Merchant, livemode: bool, method_ids) -> dict[str, object]:
    """Return the merchant's attached saved methods among ``method_ids``, by id (one query)."""
    methods = PaymentMethod.objects.filter(
        merchant=merchant,
        livemode=livemode,
        public_id__in=list(method_ids),
        detached_at__isnull=True,
        customer__deleted_at__isnull=True,
    ).select_related("customer")
    return {method.public_id: method for method in methods}


def charge_batch_list(*, merchant: Merchant, livemode: bool) -> QuerySet[ChargeBatch]:
    return ChargeBatch.objects.filter(merchant=merchant, livemode=livemode).order_by(
        "-created", "-id"
    )


def charge_batch_get(*, merchant: Merchant, livemode: bool, batch_id: str) -> ChargeBatch:
    found = charge_batch_list(merchant=merchant, livemode=livemode).filter(public_id=batch_id)
    batch = found.first()
    if batch is None:
        raise NotFound("No such charge batch.")
    return batch


def charge_batch_progress(*, batch: ChargeBatch) -> dict:
    """``processed``/``total``, succeeded, failed, and the failures by decline code."""
    if batch.pk is None:
        return {"total": 0, "processed": 0, "succeeded": 0, "failed": 0, "failed_by_code": {}}
    rows = (
        ChargeItem.objects.filter(batch=batch)
        .values_list("status", "decline_code")
        .annotate(n=Count("id"))
        .order_by()
    )
    by_status: dict[str, int] = defaultdict(int)
    by_code: dict[str, int] = defaultdict(int)
    for status, code, n in rows:
        by_status[status] += n
        if status == ChargeItem.Status.FAILED:
            by_code[code or "unknown"] += n
    succeeded, failed = by_status[ChargeItem.Status.SUCCEEDED], by_status[ChargeItem.Status.FAILED]
    return {
        "total": sum(by_status.values()),
        "processed": succeeded + failed,
        "succeeded": succeeded,
        "failed": failed,
        "failed_by_code": dict(sorted(by_code.items())),
    }
