"""One UPDATE that gives many rows their own values, built from the model's metadata.

``UPDATE t SET a = v.column2, … FROM (VALUES (pk, a, …), …) AS v WHERE t.id = v.column1`` runs
on PostgreSQL and SQLite alike (both name a ``VALUES`` list's columns ``column1``, ``column2``…).
On PostgreSQL each value is cast to its column's type: a ``VALUES`` list's text parameters have
none. Only public APIs: the model's ``_meta`` (Django's documented Options API), the fields'
``column``, ``db_type`` and ``get_db_prep_save``, and the connection's ``ops.quote_name``.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection, models


def values_update(objs: Sequence[models.Model], fields: Sequence[str]) -> int:
    """Save ``fields`` of ``objs`` (instances of one model, each with its own values) in one
    statement; return how many rows were updated."""
    if not objs:
        return 0
    meta, q = type(objs[0])._meta, connection.ops.quote_name
    columns = [meta.pk, *(meta.get_field(name) for name in fields)]
    postgres = connection.vendor == "postgresql"
    row = "(" + ", ".join(
        f"%s::{f.db_type(connection)}" if postgres else "%s" for f in columns
    ) + ")"  # fmt: skip
    table = q(meta.db_table)
    sets = ", ".join(f"{q(f.column)} = v.column{n}" for n, f in enumerate(columns[1:], start=2))
    sql = (
        f"UPDATE {table} SET {sets} FROM (VALUES {', '.join([row] * len(objs))}) AS v "
        f"WHERE {table}.{q(meta.pk.column)} = v.column1"
    )
    params = [
        f.get_db_prep_save(getattr(obj, f.attname), connection) for obj in objs for f in columns
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount
