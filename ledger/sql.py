"""The ledger's two hot-path statements, built once from the models' metadata.

A journal entry used to cost a savepoint around its INSERT (for a reused idempotency key), a
SELECT of its accounts and the postings' INSERT: five round trips. These two statements do it in
two, on PostgreSQL and SQLite alike (both know ``ON CONFLICT … DO NOTHING RETURNING`` and
``INSERT … SELECT`` from a ``VALUES`` list, whose columns both name ``column1``, ``column2``…):

- ``entries_insert``: the entries whose idempotency key is new, and only those; an entry whose
  key is taken (earlier, or by a concurrent transaction, which this statement waits for) is
  skipped instead of aborting the caller's transaction.
- ``postings_insert``: each posting with its account's id found by (owner, kind, currency) in
  the same statement; a posting whose account does not exist yet is not inserted, and the count
  tells the caller so.

Only public APIs: the models' ``_meta`` (Django's documented Options API), the fields' ``column``,
``pre_save`` and ``get_db_prep_save``, and the connection's ``ops.quote_name``.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from django.db import connection

from .models import JournalEntry, LedgerAccount, Posting


@cache
def _entry_insert_sql(rows: int, vendor: str) -> tuple[str, tuple]:
    meta, q = JournalEntry._meta, connection.ops.quote_name
    fields = tuple(f for f in meta.concrete_fields if not f.primary_key)
    key = meta.get_field("idempotency_key").column
    values = "(" + ", ".join(["%s"] * len(fields)) + ")"
    sql = (
        f"INSERT INTO {q(meta.db_table)} ({', '.join(q(f.column) for f in fields)}) "
        f"VALUES {', '.join([values] * rows)} "
        f"ON CONFLICT ({q(key)}) DO NOTHING RETURNING {q(meta.pk.column)}, {q(key)}"
    )
    return sql, fields


def entries_insert(entries: Sequence[JournalEntry]) -> list[JournalEntry]:
    """Insert ``entries`` (unsaved) but those whose idempotency key is taken; set the inserted
    ones' ``pk`` and return them. Entries without a key are always inserted."""
    if not entries:
        return []
    sql, fields = _entry_insert_sql(len(entries), connection.vendor)
    params = [
        field.get_db_prep_save(field.pre_save(entry, True), connection)
        for entry in entries
        for field in fields
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        returned = cursor.fetchall()
    # Rows come back in no promised order: match them by key, and the keyless ones in turn.
    keyed = {entry.idempotency_key: entry for entry in entries if entry.idempotency_key}
    keyless = iter([entry for entry in entries if not entry.idempotency_key])
    inserted = []
    for pk, key in returned:
        entry = keyed[key] if key else next(keyless)
        entry.pk = pk
        inserted.append(entry)
    return inserted


@cache
def _postings_insert_sql(rows: int, vendor: str) -> str:
    q = connection.ops.quote_name
    posting, account = Posting._meta, LedgerAccount._meta

    def col(meta, name: str) -> str:
        return q(meta.get_field(name).column)

    values = ", ".join(["(%s, %s, %s, %s, %s)"] * rows)
    return (
        f"INSERT INTO {q(posting.db_table)} "
        f"({col(posting, 'entry')}, {col(posting, 'account')}, {col(posting, 'amount')}, "
        f"{col(posting, 'currency')}) "
        f"SELECT v.column1, a.{q(account.pk.column)}, v.column5, v.column4 "
        f"FROM (VALUES {values}) AS v "
        f"JOIN {q(account.db_table)} AS a ON a.{col(account, 'owner')} = v.column2 "
        f"AND a.{col(account, 'kind')} = v.column3 AND a.{col(account, 'currency')} = v.column4"
    )


def postings_insert(rows: Sequence[tuple[int, str, str, str, int]]) -> int:
    """Insert postings given as (entry id, owner, kind, currency, amount); return how many were
    inserted: fewer than given when an account does not exist."""
    params = [value for row in rows for value in row]
    with connection.cursor() as cursor:
        cursor.execute(_postings_insert_sql(len(rows), connection.vendor), params)
        return cursor.rowcount
