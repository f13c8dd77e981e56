"""Billing's one raw statement: a number series advanced by many numbers in one round trip.

``UPDATE … RETURNING`` (PostgreSQL and SQLite ≥ 3.35 alike) takes the counter row's lock and
moves it in the same statement; the ORM's ``update()`` returns no value, and a locked read
then a save cost two. Only public APIs: the model's ``_meta`` and the connection's
``ops.quote_name``.
"""

from __future__ import annotations

from functools import cache

from django.db import connection

from .models import NumberSeries


@cache
def _series_advance_sql() -> str:
    meta, q = NumberSeries._meta, connection.ops.quote_name
    col = {
        name: q(meta.get_field(name).column) for name in ("merchant", "livemode", "kind", "year")
    }
    last, prefix = q(meta.get_field("last_number").column), q(meta.get_field("prefix").column)
    return (
        f"UPDATE {q(meta.db_table)} SET {last} = {last} + %s "
        f"WHERE {col['merchant']} = %s AND {col['livemode']} = %s AND {col['kind']} = %s "
        f"AND {col['year']} = %s RETURNING {prefix}, {last}"
    )


def series_advance(
    *, merchant_id: int, livemode: bool, kind: str, year: int, count: int
) -> tuple[str, int] | None:
    """Add ``count`` to the series' last number; return its prefix and new last number, or
    None when the series has no row yet."""
    with connection.cursor() as cursor:
        cursor.execute(_series_advance_sql(), [count, merchant_id, livemode, kind, year])
        row = cursor.fetchone()
    return (row[0], row[1]) if row else None
