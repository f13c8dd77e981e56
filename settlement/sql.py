"""The statements of a settlement run that the ORM cannot express, as raw SQL.

- ``INSERT ... SELECT`` of the lines: the ORM inserts only rows built in Python, which for a
  million payments would read every one of them into the process and write it back. The fee of
  each payment (``fee_sql``: half-even rounding in integer arithmetic) is computed inside it.
- ``ON CONFLICT (payment_id) DO NOTHING`` naming that one unique key as the arbiter:
  ``bulk_create(ignore_conflicts=True)`` would also swallow a violated check constraint.
- ``CREATE TEMPORARY TABLE ... AS SELECT`` of the run's candidates, its index, ``ANALYZE`` and
  the group counts read from it: the ORM has no DDL and no model for a table of one connection.

A payment converted at capture (``fx.models.Conversion``) settles in the merchant's settlement
currency: the statements read its converted amount, its FX markup and cross-border fee (fees of
their own, beside the percentage and fixed fee) and keep its presentment amount, rate and fixing
date on the line; its refunds settle at the capture's rate (``fx.models.RefundConversion``).

Every statement runs on the caller's connection and in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.db import connection

from fx.models import Conversion, RefundConversion
from payments.models import Payment, Refund

from .models import SettlementBatch, SettlementLine

BPS_DENOMINATOR = 10_000
CAPTURED = [s.value for s in Payment.CAPTURED_STATES]
# The run's unsettled payments and refunds, copied once (in group order) into a temporary table
# of the run's connection, so each batch reads its own rows, not every payment of the merchant.
CANDIDATES = "settlement_candidate"
_LINE_COLUMNS = (
    "batch_id, kind, payment_id, refund_id, amount, fee, net, occurred_at, presentment_currency,"
    " presentment_amount, fx_rate, fx_fixing_date, fx_markup, cross_border_fee"
)
# What a payment (refund) settles as: converted at capture when it has a conversion.
_PAYMENT_FX = (
    "COALESCE(cv.settlement_currency, p.currency) AS currency, p.livemode,"
    " COALESCE(cv.settlement_amount, p.amount_captured) AS amount,"
    " p.captured_at AS occurred_at, p.currency AS presentment_currency,"
    " p.amount_captured AS presentment_amount, cv.rate AS fx_rate,"
    " cv.fixing_date AS fx_fixing_date, COALESCE(cv.markup_amount, 0) AS fx_markup,"
    " COALESCE(cv.cross_border_fee, 0) AS cross_border_fee"
)
_REFUND_FX = (
    "COALESCE(rc.settlement_currency, r.currency) AS currency, r.livemode,"
    " COALESCE(rc.settlement_amount, r.amount) AS amount, r.processed_at AS occurred_at,"
    " r.currency AS presentment_currency, r.amount AS presentment_amount, rcv.rate AS fx_rate,"
    " rcv.fixing_date AS fx_fixing_date, 0 AS fx_markup, 0 AS cross_border_fee"
)
_FX_COLUMNS = (
    "presentment_currency, presentment_amount, fx_rate, fx_fixing_date, fx_markup, cross_border_fee"
)


def _payment_from() -> str:
    return f"{_table(Payment)} p LEFT JOIN {_table(Conversion)} cv ON cv.payment_id = p.id"


def _refund_from() -> str:
    return (
        f"{_table(Refund)} r LEFT JOIN {_table(RefundConversion)} rc ON rc.refund_id = r.id"
        f" LEFT JOIN {_table(Conversion)} rcv ON rcv.id = rc.conversion_id"
    )


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _instant(value: datetime) -> object:
    return connection.ops.adapt_datetimefield_value(value)


def fee_sql(amount: str, *, bps: int, fixed: int) -> tuple[str, list[int]]:
    """Return a portable SQL expression of the fee of column ``amount`` and its parameters:
    ``amount * bps / 10000`` rounded half-even to the minor unit, plus ``fixed``.

    Amounts are positive, so integer division truncates to the floor in both SQLite and
    PostgreSQL; the remainder decides the rounding: above half rounds up, exactly half rounds
    to the even quotient.
    """
    product = f"({amount} * CAST(%s AS BIGINT))"
    quotient = f"({product} / {BPS_DENOMINATOR})"
    remainder = f"({product} %% {BPS_DENOMINATOR})"
    half = BPS_DENOMINATOR // 2
    sql = (
        f"({quotient} + CASE WHEN {remainder} > {half} THEN 1"
        f" WHEN {remainder} = {half} THEN {quotient} %% 2 ELSE 0 END"
        " + CAST(%s AS BIGINT))"
    )
    return sql, [int(bps)] * 4 + [int(fixed)]


# --- the run's candidate table ------------------------------------------------------------


def candidates_create(*, cutoff: datetime, since: datetime | None) -> None:
    """Copy what is unsettled before ``cutoff`` into the run's candidate table.

    With ``since`` only rows at or after it are read, through the ``captured_at`` /
    ``processed_at`` indexes; the caller knows none of them can be settled yet. Without it,
    every captured payment and succeeded refund not in a line.
    """
    line = _table(SettlementLine)
    statuses = ", ".join(["%s"] * len(CAPTURED))
    if since is None:
        payment_where = f"NOT EXISTS (SELECT 1 FROM {line} l WHERE l.payment_id = p.id)"
        refund_where = f"NOT EXISTS (SELECT 1 FROM {line} l WHERE l.refund_id = r.id)"
        bounds = []
    else:
        payment_where, refund_where = "p.captured_at >= %s", "r.processed_at >= %s"
        bounds = [_instant(since)]
    at = _instant(cutoff)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {CANDIDATES}")
        cursor.execute(
            f"CREATE TEMPORARY TABLE {CANDIDATES} AS "
            "SELECT * FROM ("
            f"SELECT 'payment' AS kind, p.id, p.merchant_id, {_PAYMENT_FX}"
            f" FROM {_payment_from()} WHERE p.status IN ({statuses}) AND p.captured_at < %s"
            f" AND {payment_where}"
            " UNION ALL "
            f"SELECT 'refund', r.id, r.merchant_id, {_REFUND_FX}"
            f" FROM {_refund_from()} WHERE r.status = %s AND r.processed_at < %s"
            f" AND {refund_where}"
            ") c ORDER BY merchant_id, currency, livemode, kind, id",
            [*CAPTURED, at, *bounds, Refund.Status.SUCCEEDED.value, at, *bounds],
        )
        cursor.execute(
            f"CREATE INDEX {CANDIDATES}_group ON {CANDIDATES} (merchant_id, currency, livemode)"
        )
        if connection.vendor == "postgresql":
            cursor.execute(f"ANALYZE {CANDIDATES}")  # autovacuum never sees temporary tables


def candidates_drop() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {CANDIDATES}")


def candidate_groups() -> list[tuple[int, str, bool, int]]:
    """Return the candidate table's ``(merchant_id, currency, livemode, rows)`` in that order."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT merchant_id, currency, livemode, COUNT(*) FROM {CANDIDATES}"
            " GROUP BY merchant_id, currency, livemode ORDER BY merchant_id, currency, livemode"
        )
        return [(m, currency, bool(live), n) for m, currency, live, n in cursor.fetchall()]


# --- lines ---------------------------------------------------------------------------------


def lines_insert_from_candidates(batches: Sequence[SettlementBatch]) -> None:
    """Copy the batches' groups' rows of the candidate table into lines: one statement for the
    payments, one for the refunds.

    A row another run settled since the table was filled is skipped by the unique key of
    ``payment_id`` (``refund_id``), named as the one arbiter of ``ON CONFLICT DO NOTHING``, so
    each is settled once.
    """
    line = _table(SettlementLine)
    with connection.cursor() as cursor:
        for kind in (SettlementLine.Kind.PAYMENT, SettlementLine.Kind.REFUND):
            parts, params = [], []
            for batch in batches:
                if kind == SettlementLine.Kind.PAYMENT:
                    fee, fee_params = fee_sql("c.amount", bps=batch.fee_bps, fixed=batch.fee_fixed)
                else:
                    fee, fee_params = "0", []
                parts.append(
                    f"SELECT %s AS batch_id, c.id, c.amount, c.occurred_at, {fee} AS fee,"
                    f" {', '.join('c.' + name for name in _FX_COLUMNS.split(', '))}"
                    f" FROM {CANDIDATES} c WHERE c.merchant_id = %s AND c.currency = %s"
                    " AND c.livemode = %s AND c.kind = %s"
                )
                params += [batch.pk, *fee_params, batch.merchant_id, batch.currency]
                params += [batch.livemode, kind.value]
            net = (
                "s.amount - s.fee - s.fx_markup - s.cross_border_fee"
                if kind == SettlementLine.Kind.PAYMENT
                else "-s.amount"
            )
            fx_columns = ", ".join("s." + name for name in _FX_COLUMNS.split(", "))
            # "WHERE 1 = 1": SQLite needs a WHERE before ON CONFLICT after INSERT ... SELECT.
            cursor.execute(
                f"INSERT INTO {line} (batch_id, kind, {kind}_id, amount, fee, net, occurred_at,"
                f" {_FX_COLUMNS})"
                f" SELECT s.batch_id, %s, s.id, s.amount, s.fee, {net}, s.occurred_at, {fx_columns}"
                f" FROM ({' UNION ALL '.join(parts)}) s WHERE 1 = 1"
                f" ON CONFLICT ({kind}_id) DO NOTHING",
                [kind.value, *params],
            )


def lines_insert(*, batch: SettlementBatch, cutoff: datetime) -> None:
    """Copy the group's payments and refunds unsettled before ``cutoff`` into the batch's lines,
    in two statements; the caller holds the merchant row, so no other run adds lines meanwhile.
    """
    line = _table(SettlementLine)
    at = _instant(cutoff)
    group = [batch.merchant_id, batch.currency, batch.livemode]
    fee, fee_params = fee_sql("s.amount", bps=batch.fee_bps, fixed=batch.fee_fixed)
    statuses = ", ".join(["%s"] * len(CAPTURED))
    fx_columns = ", ".join("s." + name for name in _FX_COLUMNS.split(", "))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {line} ({_LINE_COLUMNS}) "
            f"SELECT %s, 'payment', s.id, NULL, s.amount, {fee},"
            f" s.amount - {fee} - s.fx_markup - s.cross_border_fee, s.occurred_at, {fx_columns}"
            f" FROM (SELECT p.id, p.merchant_id, {_PAYMENT_FX} FROM {_payment_from()}"
            f" WHERE p.merchant_id = %s AND p.status IN ({statuses}) AND p.captured_at < %s"
            f" AND NOT EXISTS (SELECT 1 FROM {line} l WHERE l.payment_id = p.id)) s"
            " WHERE s.currency = %s AND s.livemode = %s",
            [batch.pk, *fee_params, *fee_params, batch.merchant_id, *CAPTURED, at, *group[1:]],
        )
        cursor.execute(
            f"INSERT INTO {line} ({_LINE_COLUMNS}) "
            f"SELECT %s, 'refund', NULL, s.id, s.amount, 0, -s.amount, s.occurred_at, {fx_columns}"
            f" FROM (SELECT r.id, r.merchant_id, {_REFUND_FX} FROM {_refund_from()}"
            " WHERE r.merchant_id = %s AND r.status = %s AND r.processed_at < %s"
            f" AND NOT EXISTS (SELECT 1 FROM {line} l WHERE l.refund_id = r.id)) s"
            " WHERE s.currency = %s AND s.livemode = %s",
            [batch.pk, batch.merchant_id, Refund.Status.SUCCEEDED.value, at, *group[1:]],
        )
