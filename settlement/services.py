"""Settlement: captured money, less refunds and fees, paid out to merchants in batches.

A cut-off (``SETTLEMENT_CUTOFF_TIME``, UTC) closes each settlement day. ``settlement_run``
closes, per merchant, currency and mode, one batch of every captured payment and succeeded
refund before the cut-off not settled yet: lines are written by ``INSERT ... SELECT`` (fees
computed in SQL), totals by ``SUM``, and one balanced journal entry moves the money from pending
to fees and payable. A negative net is carried into the merchant's next batch. On the payout
date (the cut-off date plus the merchant's 1-3 business days, weekends and public holidays of
its country skipped) ``payout_pay`` moves payable to paid out and sends ``settlement.paid``.

Each batch is one transaction under a lock of the merchant row, and unique constraints settle a
payment or refund at most once, so re-runs and concurrent runs change nothing twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from ledger.services import Line, journal_post
from payments.errors import NotFound
from payments.models import Merchant, Payment, Refund
from payments.services import event_record

from .calendar import business_days_after
from .fees import fee_sql
from .models import Payout, ReconciliationRun, SettlementBatch, SettlementLine

logger = logging.getLogger(__name__)

CAPTURED = [s.value for s in Payment.CAPTURED_STATES]


# --- cut-offs ------------------------------------------------------------------------------


def cutoff_time() -> time:
    """Return the daily cut-off time of day (UTC) from ``SETTLEMENT_CUTOFF_TIME``."""
    value = getattr(settings, "SETTLEMENT_CUTOFF_TIME", "00:00")
    if isinstance(value, time):
        return value.replace(tzinfo=None)
    return time.fromisoformat(value)


def cutoff_for(day: date) -> datetime:
    """Return the cut-off instant that closes settlement day ``day``."""
    return datetime.combine(day, cutoff_time(), tzinfo=UTC)


def latest_cutoff(*, now: datetime | None = None) -> datetime:
    """Return the most recent cut-off at or before ``now``."""
    now = (now or timezone.now()).astimezone(UTC)
    cutoff = cutoff_for(now.date())
    return cutoff if cutoff <= now else cutoff_for(now.date() - timedelta(days=1))


# --- batches -------------------------------------------------------------------------------


@dataclass(frozen=True)
class BatchKey:
    merchant_id: int
    currency: str
    livemode: bool


def _unsettled_payments(cutoff: datetime):
    return Payment.objects.filter(status__in=CAPTURED, captured_at__lt=cutoff).filter(
        ~Exists(SettlementLine.objects.filter(payment_id=OuterRef("pk")))
    )


def _unsettled_refunds(cutoff: datetime):
    return Refund.objects.filter(status=Refund.Status.SUCCEEDED, processed_at__lt=cutoff).filter(
        ~Exists(SettlementLine.objects.filter(refund_id=OuterRef("pk")))
    )


def settlement_pending_keys(*, cutoff: datetime) -> list[BatchKey]:
    """Return the (merchant, currency, mode) groups with unsettled money before ``cutoff``."""
    fields = ("merchant_id", "currency", "livemode")
    keys = set()
    for qs in (_unsettled_payments(cutoff), _unsettled_refunds(cutoff)):
        keys.update(qs.order_by().values_list(*fields).distinct())
    return [BatchKey(*key) for key in sorted(keys)]


def settlement_run(*, cutoff: datetime) -> list[SettlementBatch]:
    """Close one batch per group with unsettled money before ``cutoff``; return the new batches.

    Groups already closed at this cut-off are skipped, so running it again changes nothing.
    """
    batches = []
    for key in settlement_pending_keys(cutoff=cutoff):
        batch = settlement_batch_close(
            merchant_id=key.merchant_id,
            currency=key.currency,
            livemode=key.livemode,
            cutoff=cutoff,
        )
        if batch is not None:
            batches.append(batch)
    logger.info("Settlement at %s closed %d batches", cutoff.isoformat(), len(batches))
    return batches


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _insert_lines(*, batch: SettlementBatch, cutoff: datetime) -> None:
    """Copy the group's unsettled payments and refunds into lines, in two statements."""
    line, payment, refund = _table(SettlementLine), _table(Payment), _table(Refund)
    at = connection.ops.adapt_datetimefield_value(cutoff)
    group = [batch.merchant_id, batch.currency, batch.livemode]
    fee, fee_params = fee_sql("p.amount_captured", bps=batch.fee_bps, fixed=batch.fee_fixed)
    statuses = ", ".join(["%s"] * len(CAPTURED))
    columns = "batch_id, kind, payment_id, refund_id, amount, fee, net, occurred_at"
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {line} ({columns}) "
            "SELECT %s, 'payment', s.id, NULL, s.amount, s.fee, s.amount - s.fee, s.captured_at "
            f"FROM (SELECT p.id, p.amount_captured AS amount, p.captured_at, {fee} AS fee "
            f"FROM {payment} p WHERE p.merchant_id = %s AND p.currency = %s AND p.livemode = %s"
            f" AND p.status IN ({statuses}) AND p.captured_at < %s"
            f" AND NOT EXISTS (SELECT 1 FROM {line} l WHERE l.payment_id = p.id)) s",
            [batch.pk, *fee_params, *group, *CAPTURED, at],
        )
        cursor.execute(
            f"INSERT INTO {line} ({columns}) "
            "SELECT %s, 'refund', NULL, r.id, r.amount, 0, -r.amount, r.processed_at "
            f"FROM {refund} r WHERE r.merchant_id = %s AND r.currency = %s AND r.livemode = %s"
            " AND r.status = %s AND r.processed_at < %s"
            f" AND NOT EXISTS (SELECT 1 FROM {line} l WHERE l.refund_id = r.id)",
            [batch.pk, *group, Refund.Status.SUCCEEDED.value, at],
        )


def _line_totals(batch: SettlementBatch) -> dict[str, int]:
    is_payment, is_refund = Q(kind=SettlementLine.Kind.PAYMENT), Q(kind=SettlementLine.Kind.REFUND)
    return SettlementLine.objects.filter(batch=batch).aggregate(
        payment_count=Count("id", filter=is_payment),
        refund_count=Count("id", filter=is_refund),
        gross_amount=Coalesce(Sum("amount", filter=is_payment), 0),
        refunds_amount=Coalesce(Sum("amount", filter=is_refund), 0),
        fees_amount=Coalesce(Sum("fee"), 0),
    )


def _post_batch(batch: SettlementBatch, owner: str) -> None:
    """Pending pays the fees and the payout; a carried negative net stays in pending."""
    cur = batch.currency
    lines = [
        Line(owner=owner, kind="merchant_pending", currency=cur, amount=amount)
        for amount in [batch.fees_amount + batch.payout_amount]
        if amount
    ]
    if batch.fees_amount:
        lines.append(
            Line(owner=owner, kind="platform_fees", currency=cur, amount=-batch.fees_amount)
        )
    if batch.payout_amount:
        lines.append(
            Line(owner=owner, kind="merchant_payable", currency=cur, amount=-batch.payout_amount)
        )
    if lines:
        journal_post(
            kind="settlement",
            reference=batch.public_id,
            description=f"Settlement {batch.public_id} at {batch.cutoff:%Y-%m-%d %H:%M}",
            idempotency_key=f"settlement:{batch.public_id}",
            lines=lines,
        )


def settlement_batch_close(
    *, merchant_id: int, currency: str, livemode: bool, cutoff: datetime
) -> SettlementBatch | None:
    """Close the group's batch at ``cutoff``; return it, or None if there was nothing to settle.

    Holds the merchant row (``FOR NO KEY UPDATE``: new orders and payments of the merchant are
    not blocked) for the whole transaction, so concurrent runs serialize per merchant.
    """
    with transaction.atomic():
        merchant = Merchant.objects.select_for_update(no_key=True).filter(pk=merchant_id).first()
        if merchant is None:
            raise NotFound("No such merchant.")
        group = {"merchant": merchant, "currency": currency, "livemode": livemode}
        if SettlementBatch.objects.filter(**group, cutoff=cutoff).exists():
            return None
        previous = SettlementBatch.objects.filter(**group).order_by("-id").first()
        batch = SettlementBatch.objects.create(
            **group,
            cutoff=cutoff,
            fee_bps=merchant.fee_bps,
            fee_fixed=merchant.fee_fixed,
            carry_in=previous.carry_out if previous else 0,
            payout_date=business_days_after(
                cutoff.date(), merchant.settlement_delay_days, country=merchant.country
            ),
        )
        _insert_lines(batch=batch, cutoff=cutoff)
        totals = _line_totals(batch)
        if not totals["payment_count"] and not totals["refund_count"]:
            # Another run settled the group first: leave no empty batch behind.
            transaction.set_rollback(True)
            return None
        for name, value in totals.items():
            setattr(batch, name, value)
        batch.net_amount = batch.gross_amount - batch.refunds_amount - batch.fees_amount
        available = batch.net_amount + batch.carry_in
        batch.payout_amount, batch.carry_out = max(available, 0), min(available, 0)
        batch.close()
        batch.closed_at = timezone.now()
        batch.save()
        _post_batch(batch, merchant.public_id)
        if batch.payout_amount:
            Payout.objects.create(
                batch=batch,
                merchant=merchant,
                livemode=livemode,
                amount=batch.payout_amount,
                currency=currency,
                payout_date=batch.payout_date,
            )
    logger.info(
        "Settlement batch %s closed: %d payments, %d refunds",
        batch.public_id,
        batch.payment_count,
        batch.refund_count,
    )
    return batch


# --- payouts -------------------------------------------------------------------------------


def payout_pay(*, payout_pk: int) -> Payout:
    """Pay a scheduled payout out (payable to paid out) and send ``settlement.paid``.

    Safe to run twice or concurrently: a paid payout is returned unchanged.
    """
    return _payout_pay(payout_pk)[0]


@transaction.atomic
def _payout_pay(payout_pk: int) -> tuple[Payout, bool]:
    payout = Payout.objects.select_for_update().filter(pk=payout_pk).first()
    if payout is None:
        raise NotFound("No such payout.")
    if payout.status == Payout.Status.PAID:
        return payout, False
    batch = SettlementBatch.objects.select_for_update().get(pk=payout.batch_id)
    owner = Merchant.objects.values_list("public_id", flat=True).get(pk=payout.merchant_id)
    cur, amount = payout.currency, payout.amount
    journal_post(
        kind="payout",
        reference=payout.public_id,
        description=f"Payout {payout.public_id} of {batch.public_id}",
        idempotency_key=f"payout:{payout.public_id}",
        lines=[
            Line(owner=owner, kind="merchant_payable", currency=cur, amount=amount),
            Line(owner=owner, kind="merchant_paid_out", currency=cur, amount=-amount),
        ],
    )
    now = timezone.now()
    payout.pay()
    payout.paid_at = now
    payout.save()
    batch.mark_paid()
    batch.paid_at = now
    batch.save()
    payout.batch = batch
    event_record(obj=payout, type="settlement.paid")
    return payout, True


def payouts_due(*, today: date):
    """Return the pks of scheduled payouts whose date is ``today`` or earlier."""
    return (
        Payout.objects.filter(status=Payout.Status.SCHEDULED, payout_date__lte=today)
        .order_by("payout_date", "pk")
        .values_list("pk", flat=True)
    )


def payouts_pay_due(*, today: date | None = None) -> int:
    """Pay every payout due by ``today`` (UTC date by default); return how many this call paid.

    One transaction per payout: a failure leaves the others paid and itself scheduled.
    """
    today = today or timezone.now().astimezone(UTC).date()
    return sum(_payout_pay(pk)[1] for pk in list(payouts_due(today=today)))


# --- reconciliation -------------------------------------------------------------------------


def reconciliation_run() -> ReconciliationRun:
    """Compare ledger balances, batch totals and payments; store and return the result."""
    from .reconciliation import reconciliation_differences

    run = ReconciliationRun.objects.create()
    differences = reconciliation_differences()
    run.differences = differences
    run.ok = not differences
    run.finished_at = timezone.now()
    run.save(update_fields=["differences", "ok", "finished_at"])
    if differences:
        logger.error("Reconciliation run %s found %d differences", run.pk, len(differences))
    return run
