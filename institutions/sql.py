"""The sandbox's hot-path statement, built once from the models' metadata.

A card sale used to lock its account in one query and debit the balance in another. For the
account that approves without a question (active, no scripted behaviour, no OTP), with the
funds to cover it, ``card_sale_debit`` does both in one ``UPDATE``: on PostgreSQL its ``WITH``
query locks the account row first (``FOR UPDATE``), then the balance row is updated, the order
every sandbox writer follows; SQLite locks the whole database for a write anyway. Any other
case (a decline, a challenge, no balance row yet) updates nothing, and the caller takes the
general path, which decides it as before.

Only public APIs: the models' ``_meta`` (Django's documented Options API), the fields'
``column`` and the connection's ``ops.quote_name``.
"""

from __future__ import annotations

from functools import cache

from django.db import connection

from .models import SandboxAccount, SandboxBalance, SandboxOwner


@cache
def _card_sale_debit_sql(vendor: str) -> str:
    q = connection.ops.quote_name
    account, owner, balance = SandboxAccount._meta, SandboxOwner._meta, SandboxBalance._meta

    def col(meta, name: str) -> str:
        return q(meta.get_field(name).column)

    table = q(balance.db_table)

    def bal(name: str) -> str:
        return f"{table}.{col(balance, name)}"

    lock = " FOR UPDATE OF a" if vendor == "postgresql" else ""
    return (
        f"WITH acct AS (SELECT a.{q(account.pk.column)} AS id "
        f"FROM {q(account.db_table)} AS a JOIN {q(owner.db_table)} AS o "
        f"ON o.{q(owner.pk.column)} = a.{col(account, 'owner')} "
        f"WHERE o.{col(owner, 'key')} = %s AND a.{col(account, 'institution')} = %s "
        f"AND a.{col(account, 'kind')} = %s AND a.{col(account, 'fingerprint')} = %s "
        f"AND a.{col(account, 'status')} = %s AND a.{col(account, 'behaviour')} = %s "
        f"AND a.{col(account, 'verification')} = %s{lock}) "
        f"UPDATE {table} SET {col(balance, 'debited')} = {bal('debited')} + %s "
        f"FROM acct WHERE {bal('account')} = acct.id AND {bal('currency')} = %s "
        f"AND {bal('opening_amount')} >= {bal('held')} + {bal('debited')} - {bal('refunded')} "
        f"- {bal('reset_credit')} + %s "
        f"RETURNING {bal('account')}"
    )


def card_sale_debit(
    *, owner_key: str, institution: str, fingerprint: str, currency: str, amount: int
) -> int | None:
    """Debit ``amount`` from the card account that approves a sale without a question, if its
    funds in ``currency`` cover it; return the account's id, or None when nothing was debited."""
    params = [
        owner_key,
        institution,
        SandboxAccount.Kind.CARD,
        fingerprint,
        SandboxAccount.Status.ACTIVE,
        SandboxAccount.Behaviour.NONE,
        SandboxAccount.Verification.NEVER,
        amount,
        currency,
        amount,
    ]
    with connection.cursor() as cursor:
        cursor.execute(_card_sale_debit_sql(connection.vendor), params)
        row = cursor.fetchone()
    return row[0] if row else None
