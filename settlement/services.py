"""Settlement: captured money, less refunds and fees, paid out to merchants in batches.

A cut-off (``SETTLEMENT_CUTOFF_TIME``, UTC) closes each settlement day. ``settlement_run``
closes, per merchant, currency and mode, one batch of every captured payment and succeeded
refund before the cut-off not settled yet: lines are written by ``INSERT ... SELECT`` with the
fees computed in the database (``sql.py``, the app's only raw SQL), totals by ``SUM``, one
balanced journal entry moves the money from pending to fees and payable, and
``settlement.closed`` tells the merchant. A negative net is carried into the merchant's next
batch. Disputes and other adjustments other apps register (``adjustments``) are deducted
from (or given back by) the merchant's next batch. On the payout date (the cut-off date plus the merchant's 1-3 business days, weekends and
public holidays of its country skipped) ``payout_pay`` moves payable to paid out and sends
``settlement.paid``.

A run finds what is unsettled once (only what was captured since the last cut-off when the
counts prove everything before it settled, see ``settled_through``) and closes its batches in
transactions of a chunk of groups, each batch with its journal entry, under locks of the
merchant rows taken in id order; unique constraints settle a payment or refund at most once,
so re-runs and concurrent runs change nothing twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Exists, F, Max, OuterRef, Q, Sum, Window
from django.db.models.functions import Coalesce, RowNumber
from django.utils import timezone

from ledger.services import EntryInput, Line, journal_post, journal_post_many
from payments.errors import NotFound
from payments.models import Merchant, Payment, Refund
from payments.money import fixed_fee_default
from payments.selectors import merchant_fixed_fees
from payments.services import event_record

from . import metrics, sql
from .adjustments import adjustment_groups, adjustment_totals, adjustments_attach
from .calendar import business_days_after
from .models import Payout, ReconciliationRun, SettlementBatch, SettlementLine

logger = logging.getLogger(__name__)


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


def settled_through() -> datetime | None:
    """Return an instant before which every captured payment and succeeded refund is settled,
    or None when none is known (nothing settled yet, or something before it is not settled).

    It is the latest batch cut-off ``W`` if the payments captured before ``W`` are as many as
    all payment lines, and the succeeded refunds processed before ``W`` as many as all refund
    lines. Every line is of a distinct payment (refund) dated before its batch's cut-off, so
    before ``W``: equal counts mean that none of those is left out, however late it was
    written. Otherwise (say, a payment written after a run with an older ``captured_at``) there
    is no bound and the run reads every unsettled payment, as the first run does. This holds as
    long as ``captured_at`` and ``processed_at`` never change once set and lines are never
    deleted.

    The lines are counted first: they only grow and never outnumber the rows before ``W``, so
    counts of those rows taken afterwards equal them only if nothing was missing before.
    """
    lines = SettlementBatch.objects.aggregate(
        at=Max("cutoff"),
        payments=Coalesce(Sum("payment_count"), 0),
        refunds=Coalesce(Sum("refund_count"), 0),
    )
    at = lines["at"]
    if at is None:
        return None
    payments = Payment.objects.filter(captured_at__lt=at).count()
    refunds = Refund.objects.filter(status=Refund.Status.SUCCEEDED, processed_at__lt=at).count()
    return at if (payments, refunds) == (lines["payments"], lines["refunds"]) else None


# A run closes its groups' batches in transactions of up to this many groups and (unless one
# group is larger) lines: fewer commits than one per batch, and no transaction holding many
# merchant rows or lines for long.
CHUNK_GROUPS = 100
CHUNK_LINES = 50_000


def _candidate_chunks(*, cutoff: datetime) -> list[list[BatchKey]]:
    """The candidate table's groups, and those with only adjustments to settle, in (merchant,
    currency, mode) order, cut into chunks."""
    groups = adjustment_groups(cutoff=cutoff)
    for merchant_id, currency, livemode, count in sql.candidate_groups():
        key = (merchant_id, currency, livemode)
        groups[key] = groups.get(key, 0) + count
    chunks, lines = [[]], 0
    for (merchant_id, currency, livemode), count in sorted(groups.items()):
        if chunks[-1] and (len(chunks[-1]) >= CHUNK_GROUPS or lines + count > CHUNK_LINES):
            chunks.append([])
            lines = 0
        chunks[-1].append(BatchKey(merchant_id, currency, livemode))
        lines += count
    return [chunk for chunk in chunks if chunk]


def _log_closed(batch: SettlementBatch) -> None:
    logger.info(
        "Settlement batch %s closed: %d payments, %d refunds",
        batch.public_id,
        batch.payment_count,
        batch.refund_count,
    )


@metrics.RUN_DURATION.time()
def settlement_run(*, cutoff: datetime) -> list[SettlementBatch]:
    """Close one batch per group with unsettled money before ``cutoff``; return the new batches.

    The unsettled payments and refunds are copied by one statement (reading only those from
    ``settled_through`` on when there is such a bound) into a temporary table; the batches are
    then closed in group order, a chunk of groups per transaction (see ``CHUNK_LINES``), each
    under the lock of its merchant row. Groups already closed at this cut-off are skipped, so
    running it again changes nothing.
    """
    batches = []
    sql.candidates_create(cutoff=cutoff, since=settled_through())
    try:
        for chunk in _candidate_chunks(cutoff=cutoff):
            with transaction.atomic():
                batches += _batches_close(chunk, cutoff=cutoff, candidates=True)
    finally:
        sql.candidates_drop()
    for batch in batches:
        _log_closed(batch)
    logger.info("Settlement at %s closed %d batches", cutoff.isoformat(), len(batches))
    return batches


def settlement_batch_close(
    *, merchant_id: int, currency: str, livemode: bool, cutoff: datetime
) -> SettlementBatch | None:
    """Close the group's batch at ``cutoff``; return it, or None if there was nothing to settle.

    Holds the merchant row (``FOR NO KEY UPDATE``: new orders and payments of the merchant are
    not blocked) for the whole transaction, so concurrent runs serialize per merchant.
    """
    key = BatchKey(merchant_id, currency, livemode)
    with transaction.atomic():
        batch = next(iter(_batches_close([key], cutoff=cutoff, candidates=False)), None)
    if batch is not None:
        _log_closed(batch)
    return batch


def _batches_close(
    keys: list[BatchKey], *, cutoff: datetime, candidates: bool
) -> list[SettlementBatch]:
    """Close the groups' batches in the caller's transaction (``settlement_batch_close``);
    return those closed. With ``candidates`` the lines come from the run's candidate table,
    otherwise from the payments and refunds. A group already closed at ``cutoff`` or left with
    nothing to settle gets no batch.

    Batches, lines (from candidates), totals, journal entries (``journal_post_many``) and
    payouts are written a statement for all groups.
    """
    merchants = _merchants_lock(sorted({key.merchant_id for key in keys}))
    batches = _batches_open(keys, merchants=merchants, cutoff=cutoff)
    if not batches:
        return []
    if candidates:
        sql.lines_insert_from_candidates(batches)
    else:
        for batch in batches:
            sql.lines_insert(batch=batch, cutoff=cutoff)
    adjustments_attach(batches, cutoff=cutoff)
    batches = _batches_total(batches)
    entries = [_batch_entry(batch, batch.merchant.public_id) for batch in batches]
    if entries := [entry for entry in entries if entry is not None]:
        journal_post_many(entries)
    Payout.objects.bulk_create(
        Payout(
            batch=batch,  # also sets batch.payout, which the event below shows
            merchant=batch.merchant,
            livemode=batch.livemode,
            amount=batch.payout_amount,
            currency=batch.currency,
            payout_date=batch.payout_date,
        )
        for batch in batches
        # A merchant on manual payouts keeps the money in its balance (bulk payouts).
        if batch.payout_amount
        and batch.merchant.payout_schedule == Merchant.PayoutSchedule.AUTOMATIC
    )
    for batch in batches:
        # open -> closed, like every transition, tells the merchant (a new batch: sequence 1).
        event_record(obj=batch, type="settlement.closed", sequence=1)
    return batches


def _merchants_lock(merchant_ids: list[int]) -> dict[int, Merchant]:
    """Lock the merchant rows in id order (``FOR NO KEY UPDATE``: new orders and payments of the
    merchant are not blocked), so concurrent runs serialize per merchant; return them by pk."""
    merchants = {
        m.pk: m
        for m in Merchant.objects.select_for_update(no_key=True)
        .filter(pk__in=merchant_ids)
        .order_by("pk")
    }
    if len(merchants) != len(merchant_ids):
        raise NotFound("No such merchant.")
    return merchants


def _batches_open(
    keys: list[BatchKey], *, merchants: dict[int, Merchant], cutoff: datetime
) -> list[SettlementBatch]:
    """Insert an open batch for each group not closed at ``cutoff`` yet, carrying in the
    negative net of the group's latest batch; return them."""
    group = ("merchant_id", "currency", "livemode")
    latest = (
        SettlementBatch.objects.filter(merchant_id__in=list(merchants))
        .annotate(
            rank=Window(RowNumber(), partition_by=[F(f) for f in group], order_by=F("id").desc()),
            closed_here=Exists(
                SettlementBatch.objects.filter(**{f: OuterRef(f) for f in group}, cutoff=cutoff)
            ),
        )
        .filter(rank=1)
        .values_list(*group, "carry_out", "closed_here")
    )
    previous = {(m, c, bool(live)): (carry, here) for m, c, live, carry, here in latest}
    own_fixed_fees = merchant_fixed_fees(merchant_ids=list(merchants))
    batches = []
    for key in keys:
        carry_out, closed_here = previous.get(
            (key.merchant_id, key.currency, key.livemode), (0, False)
        )
        if closed_here:
            continue
        merchant = merchants[key.merchant_id]
        batches.append(
            SettlementBatch(
                merchant=merchant,
                currency=key.currency,
                livemode=key.livemode,
                cutoff=cutoff,
                fee_bps=merchant.fee_bps,
                # In the batch's currency's minor units: the merchant's own, or the default.
                fee_fixed=own_fixed_fees.get(
                    (key.merchant_id, key.currency), fixed_fee_default(key.currency)
                ),
                carry_in=carry_out,
                payout_date=business_days_after(
                    cutoff.date(), merchant.settlement_delay_days, country=merchant.country
                ),
            )
        )
    return SettlementBatch.objects.bulk_create(batches) if batches else []


def _line_totals(batches: list[SettlementBatch]) -> dict[int, dict[str, int]]:
    """Return the totals of the lines of each batch that has any, by batch pk."""
    is_payment, is_refund = Q(kind=SettlementLine.Kind.PAYMENT), Q(kind=SettlementLine.Kind.REFUND)
    rows = (
        SettlementLine.objects.filter(batch__in=[b.pk for b in batches])
        .order_by()
        .values("batch_id")
        .annotate(
            payment_count=Count("id", filter=is_payment),
            refund_count=Count("id", filter=is_refund),
            gross_amount=Coalesce(Sum("amount", filter=is_payment), 0),
            refunds_amount=Coalesce(Sum("amount", filter=is_refund), 0),
            # The percentage and fixed fee, the FX markup and the cross-border fee.
            fees_amount=Coalesce(Sum(F("fee") + F("fx_markup") + F("cross_border_fee")), 0),
        )
    )
    return {row.pop("batch_id"): row for row in rows}


TOTALS = (
    "payment_count",
    "refund_count",
    "gross_amount",
    "refunds_amount",
    "fees_amount",
    "adjustment_count",
    "adjustments_amount",
    "net_amount",
    "payout_amount",
    "carry_out",
)


def _batches_total(batches: list[SettlementBatch]) -> list[SettlementBatch]:
    """Close the batches that got lines with the totals of their lines (one ``UPDATE``) and
    return them; delete the others (their groups were settled by another run first)."""
    totals = _line_totals(batches)
    for pk, adjusted in adjustment_totals(batches).items():
        totals[pk] = {**totals.get(pk, {}), **adjusted}
    if empty := [b.pk for b in batches if b.pk not in totals]:
        SettlementBatch.objects.filter(pk__in=empty).delete()
    batches = [b for b in batches if b.pk in totals]
    now = timezone.now()
    for batch in batches:
        for name, value in totals[batch.pk].items():
            setattr(batch, name, value)
        batch.net_amount = (
            batch.gross_amount - batch.refunds_amount - batch.fees_amount - batch.adjustments_amount
        )
        available = batch.net_amount + batch.carry_in
        batch.payout_amount, batch.carry_out = max(available, 0), min(available, 0)
        batch.close()
        batch.closed_at = now
    if batches:
        SettlementBatch.objects.bulk_update(batches, [*TOTALS, "status", "closed_at"])
    return batches


def _batch_entry(batch: SettlementBatch, owner: str) -> EntryInput | None:
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
    if not lines:
        return None
    return EntryInput(
        kind="settlement",
        reference=batch.public_id,
        description=f"Settlement {batch.public_id} at {batch.cutoff:%Y-%m-%d %H:%M}",
        idempotency_key=f"settlement:{batch.public_id}",
        lines=lines,
    )


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

    One transaction per payout: a payout that cannot be paid is logged and left scheduled, and
    the others, due after it, are still paid.
    """
    today = today or timezone.now().astimezone(UTC).date()
    paid = 0
    for pk in list(payouts_due(today=today)):
        try:
            paid += _payout_pay(pk)[1]
        except Exception:
            # One broken payout (say, a ledger entry under its key recording another movement)
            # must not hold up every merchant's payouts due after it, run after run.
            logger.exception("Payout %s could not be paid; left scheduled", pk)
    return paid


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
