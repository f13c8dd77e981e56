"""Bulk data for the settlement figure and volume tests: captured payments inserted straight
into the tables.

``payments_bulk_insert`` writes N paid orders and their captured card payments across M new
merchants with two ``INSERT ... SELECT`` statements over a number series (``generate_series`` on
PostgreSQL, a recursive CTE elsewhere), plus one capture journal entry per merchant holding the
sum of its captures, so the ledger agrees with the payments as if each had been captured by the
service. A million payments take seconds on PostgreSQL.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from django.db import connection, transaction
from django.db.models import Sum

from ledger.services import Line, journal_post
from payments.models import Merchant, Order, Payment
from payments.money import fixed_fee_default


@dataclass(frozen=True)
class BulkResult:
    merchants: list[Merchant]
    payments: int
    tag: str


def _series(n: int) -> str:
    """A derived table ``s(i)`` of 0 .. n-1."""
    if connection.vendor == "postgresql":
        return f"(SELECT generate_series(0, {int(n) - 1}) AS i) s"
    return (
        f"(WITH RECURSIVE g(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM g WHERE i < {int(n) - 1})"
        " SELECT i FROM g) s"
    )


def _minus_seconds(param: str, seconds: str) -> str:
    if connection.vendor == "postgresql":
        return f"(CAST({param} AS timestamptz) - ({seconds}) * INTERVAL '1 second')"
    return f"strftime('%%Y-%%m-%%d %%H:%%M:%%f', {param}, '-' || ({seconds}) || ' seconds')"


def _empty_json(value: str = "{}") -> str:
    return f"CAST('{value}' AS jsonb)" if connection.vendor == "postgresql" else f"'{value}'"


def _t(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


@transaction.atomic
def payments_bulk_insert(
    *,
    payments: int,
    merchants: int | list[Merchant],
    captured_before: datetime,
    currency: str = "USD",
    livemode: bool = False,
    spread_seconds: int = 80_000,
    ledger: bool = True,
    merchant_fields: dict | None = None,
) -> BulkResult:
    """Insert ``payments`` captured payments (and their paid orders) across ``merchants`` (a
    number of new merchants, or existing ones), captured within ``spread_seconds`` before
    ``captured_before``; return the merchants and the count.

    Amounts vary (500 to 100,499 minor units). With ``ledger`` one capture entry per merchant
    books the captured sum of the payments inserted here, keeping the ledger invariants true.
    Any number of rows in one call (the series index is widened to bigint before multiplying).
    """
    tag = secrets.token_hex(4)
    if isinstance(merchants, int):
        created = Merchant.objects.bulk_create(
            Merchant(name=f"Bulk {tag} {k}", default_currency=currency, **(merchant_fields or {}))
            for k in range(merchants)
        )
    else:
        created = list(merchants)
    ids = [m.pk for m in created]
    if not ids:
        raise ValueError("payments_bulk_insert needs at least one merchant.")
    _orders_insert(
        tag=tag,
        merchant_ids=ids,
        payments=payments,
        captured_before=captured_before,
        currency=currency,
        livemode=livemode,
        spread_seconds=spread_seconds,
    )
    _payments_insert(tag=tag, merchant_ids=ids)
    if ledger:
        _captures_book(tag=tag, merchant_ids=ids, currency=currency)
    return BulkResult(merchants=created, payments=payments, tag=tag)


def _orders_insert(
    *,
    tag: str,
    merchant_ids: list[int],
    payments: int,
    captured_before: datetime,
    currency: str,
    livemode: bool,
    spread_seconds: int,
) -> None:
    """Insert the paid orders, spread round-robin over the merchants (referenced ``bulk-<tag>-``)."""
    placeholders = ", ".join(["%s"] * len(merchant_ids))
    at = connection.ops.adapt_datetimefield_value(captured_before)
    captured_at = _minus_seconds("%s", f"1 + s.i %% {int(spread_seconds)}")
    merchant_of = (
        f"(SELECT id, ROW_NUMBER() OVER (ORDER BY id) - 1 AS k FROM {_t(Merchant)}"
        f" WHERE id IN ({placeholders})) m"
    )
    empty = _empty_json()
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {_t(Order)} (public_id, merchant_id, livemode, reference, amount,"
            " currency, description, customer_email, customer, setup_future_usage, return_url,"
            " capture_method, metadata, line_items, status, checkout_token, expires_at, paid_at,"
            " created, updated) "
            f"SELECT 'ord_' || %s || s.i, m.id, %s, 'bulk-' || %s || '-' || s.i,"
            f" 500 + (CAST(s.i AS bigint) * 7919) %% 100000, %s, '', '', '', 'on_session', '',"
            f" 'automatic', {empty}, {_empty_json('[]')}, 'paid',"
            f" 'bulk' || %s || s.i, {captured_at}, {captured_at}, {captured_at}, {captured_at} "
            f"FROM {_series(payments)} JOIN {merchant_of} ON m.k = s.i %% {len(merchant_ids)}",
            [tag, livemode, tag, currency, tag, at, at, at, at, *merchant_ids],
        )


def _payments_insert(*, tag: str, merchant_ids: list[int]) -> None:
    """Insert one captured card payment for each order of this call."""
    placeholders = ", ".join(["%s"] * len(merchant_ids))
    mine = f"bulk-{tag}-%%"  # the references of this call's orders
    empty = _empty_json()
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {_t(Payment)} (public_id, order_id, merchant_id, livemode, amount,"
            " currency, capture_method, method_type, institution, institution_reference,"
            " card_brand, card_last4, wallet_phone, transfer, status, decline_code,"
            " decline_message, authentication_method, amount_authorized, amount_captured,"
            " amount_refunded, authorized_at, captured_at, created, updated) "
            "SELECT 'pay_' || SUBSTR(o.public_id, 5), o.id, o.merchant_id, o.livemode, o.amount,"
            " o.currency, 'automatic', 'card', 'sandbox_issuer_visa', 'bulk-' || o.id, 'visa',"
            f" '4242', '', {empty}, 'captured', '', '', '', o.amount, o.amount, 0, o.paid_at,"
            " o.paid_at,"
            f" o.created, o.updated FROM {_t(Order)} o"
            f" WHERE o.merchant_id IN ({placeholders}) AND o.reference LIKE '{mine}'",
            merchant_ids,
        )


def _captures_book(*, tag: str, merchant_ids: list[int], currency: str) -> None:
    """Book one capture entry per merchant for the sum of its payments of this call."""
    sums = (
        Payment.objects.filter(
            merchant_id__in=merchant_ids, order__reference__startswith=f"bulk-{tag}-"
        )
        .values_list("merchant__public_id")
        .annotate(s=Sum("amount_captured"))
        .order_by()
    )
    for owner, total in sums:
        journal_post(
            kind="capture",
            reference=f"bulk-{tag}",
            description=f"Bulk captures {tag}",
            lines=[
                Line(
                    owner="sandbox_issuer_visa",
                    kind="institution_receivable",
                    currency=currency,
                    amount=total,
                ),
                Line(owner=owner, kind="merchant_pending", currency=currency, amount=-total),
            ],
        )


def _plain_sql_settlement(cutoff: datetime) -> None:
    """The baseline: one INSERT ... SELECT ... GROUP BY into batches, one UPDATE ... FROM them."""
    at = connection.ops.adapt_datetimefield_value(cutoff)
    statuses = [s.value for s in Payment.CAPTURED_STATES]
    marks = ", ".join(["%s"] * len(statuses))
    fee = (
        "((p.amount_captured * m.fee_bps) / 10000 + CASE"
        " WHEN (p.amount_captured * m.fee_bps) %% 10000 > 5000 THEN 1"
        " WHEN (p.amount_captured * m.fee_bps) %% 10000 = 5000"
        " THEN ((p.amount_captured * m.fee_bps) / 10000) %% 2 ELSE 0 END + %s)"
    )
    fixed = fixed_fee_default("USD")  # the bench's payments are in USD, without own fees
    where = f"p.status IN ({marks}) AND p.captured_at < %s"
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE bench_batches (merchant_id bigint, currency varchar(3),"
            " livemode boolean, n bigint, gross bigint, fees bigint) ON COMMIT DROP"
        )
        cursor.execute(
            "INSERT INTO bench_batches SELECT p.merchant_id, p.currency, p.livemode, COUNT(*),"
            f" SUM(p.amount_captured), SUM({fee}) FROM {_t(Payment)} p"
            f" JOIN {_t(Merchant)} m ON m.id = p.merchant_id WHERE {where}"
            " GROUP BY p.merchant_id, p.currency, p.livemode",
            [fixed, *statuses, at],
        )
        cursor.execute(
            f"UPDATE {_t(Payment)} p SET updated = %s FROM bench_batches b"
            " WHERE p.merchant_id = b.merchant_id AND p.currency = b.currency"
            f" AND p.livemode = b.livemode AND {where}",
            [at, *statuses, at],
        )


def settlement_benchmark(*, payments: int, merchants: int, cutoff: datetime) -> dict:
    """Measure ``settlement_run`` over ``payments`` fresh payments (PostgreSQL) against the
    plain-SQL baseline on the same rows (run first, rolled back); return the figures.

    The payments stay in the database, settled; run it on a scratch database.
    """
    import time
    import tracemalloc

    from settlement.services import settlement_run

    if connection.vendor != "postgresql":
        raise RuntimeError("The settlement benchmark needs PostgreSQL.")
    started = time.perf_counter()
    payments_bulk_insert(payments=payments, merchants=merchants, captured_before=cutoff)
    insert_seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    started = time.perf_counter()
    with transaction.atomic():
        _plain_sql_settlement(cutoff)
        transaction.set_rollback(True)
    baseline_seconds = time.perf_counter() - started
    tracemalloc.start()
    started = time.perf_counter()
    batches = settlement_run(cutoff=cutoff)
    run_seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "payments": payments,
        "merchants": merchants,
        "batches": len(batches),
        "bulk_insert_seconds": round(insert_seconds, 3),
        "baseline_plain_sql_seconds": round(baseline_seconds, 3),
        "settlement_run_seconds": round(run_seconds, 3),
        "ratio": round(run_seconds / baseline_seconds, 2) if baseline_seconds else None,
        "python_peak_memory_kib": peak // 1024,
    }
