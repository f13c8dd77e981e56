"""Fees per captured payment: ``amount * bps / 10000`` rounded half-even, plus a fixed fee.

The same rule exists twice on purpose: ``fee_for`` (``Decimal``, for one payment and for tests)
and ``fee_sql`` (integer SQL, so a batch computes every fee in the database). Property tests
hold them equal.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

BPS_DENOMINATOR = 10_000


def fee_for(*, amount: int, bps: int, fixed: int) -> int:
    """Return the fee, in minor units, of a payment of ``amount`` minor units."""
    percentage = (Decimal(amount) * bps / BPS_DENOMINATOR).quantize(
        Decimal(1), rounding=ROUND_HALF_EVEN
    )
    return int(percentage) + fixed


def fee_sql(amount: str, *, bps: int, fixed: int) -> tuple[str, list[int]]:
    """Return a portable SQL expression of the fee of column ``amount`` and its parameters.

    Amounts are positive, so integer division truncates to the
    floor in both SQLite and PostgreSQL; the remainder decides the rounding: above half rounds
    up, exactly half rounds to the even quotient.
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
