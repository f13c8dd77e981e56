"""The order page's query, compiled to SQL once per process.

``GET /checkout/<token>/`` is the most requested page of the product, and building and compiling
its queryset (a join to the merchant and a subquery for the active payment) took longer than the
database took to answer it. Django still writes the SQL, maps the columns and converts the values,
so the result is the instance ``.get()`` would return; only the token changes between requests.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from django.db import connections
from django.db.models import OuterRef, QuerySet, Subquery
from django.db.models.query import get_related_populators

from payments.models import ACTIVE_PAYMENT_STATUSES, Order, Payment

# Stands for the token while the SQL is compiled; replaced by the real token on every call.
_TOKEN_SLOT = "checkout-token-slot"


def order_page_queryset() -> QuerySet[Order]:
    """Return orders with their merchant and ``active_payment_id`` (a payment's public id or None)."""
    # At most one payment per order is active (constraint one_active_payment_per_order).
    active = (
        Payment.objects.filter(order=OuterRef("pk"), status__in=ACTIVE_PAYMENT_STATUSES)
        .order_by()
        .values("public_id")[:1]
    )
    return (
        Order.objects.select_related("merchant")
        .annotate(active_payment_id=Subquery(active))
        .order_by()
    )


@dataclass(frozen=True)
class _Prepared:
    sql: str
    params: tuple
    slot: int
    converters: dict  # position: (from_db_value functions, expression), for JSON fields...
    columns: slice  # the order's columns in a row
    attnames: list[str]
    populators: list  # the merchant's columns (select_related)
    annotations: dict[str, int]


@cache
def _prepared(alias: str) -> _Prepared:
    queryset = order_page_queryset().using(alias).filter(checkout_token=_TOKEN_SLOT)
    compiler = queryset.query.get_compiler(using=alias)
    sql, params = compiler.as_sql()  # also fills compiler.select, klass_info, annotation_col_map
    # What ModelIterable works out from the compiler for every queryset it runs.
    select, klass_info = compiler.select, compiler.klass_info
    fields = klass_info["select_fields"]
    columns = slice(fields[0], fields[-1] + 1)
    return _Prepared(
        sql=sql,
        params=tuple(params),
        slot=list(params).index(_TOKEN_SLOT),
        converters=compiler.get_converters([s[0] for s in select[: compiler.col_count]]),
        columns=columns,
        attnames=[s[0].target.attname for s in select[columns]],
        populators=get_related_populators(klass_info, select, alias),
        annotations=dict(compiler.annotation_col_map),
    )


def order_for_checkout(token: str) -> Order | None:
    """Return the order of ``token`` as ``order_page_queryset()`` has it, or None: one query."""
    alias = Order.objects.db
    prepared = _prepared(alias)
    params = list(prepared.params)
    params[prepared.slot] = token
    connection = connections[alias]
    with connection.cursor() as cursor:
        cursor.execute(prepared.sql, params)
        row = cursor.fetchone()  # checkout_token is unique
    if row is None:
        return None
    # What ModelIterable (SQLCompiler.apply_converters) does with each row.
    row = list(row)
    for position, (converters, expression) in prepared.converters.items():
        value = row[position]
        for converter in converters:
            value = converter(value, expression, connection)
        row[position] = value
    order = Order.from_db(alias, prepared.attnames, row[prepared.columns])
    for populator in prepared.populators:
        populator.populate(row, order)
    for name, position in prepared.annotations.items():
        setattr(order, name, row[position])
    return order
