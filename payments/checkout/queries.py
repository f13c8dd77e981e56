"""The order page's query: the order, its merchant and its active payment's id, in one query.

The order page is the checkout's busiest view, and building this query with the ORM cost more
than running it (about half the page's server time). So it is written once as SQL, from the
models' own table and column names, and loaded through ``Order.objects.raw`` (which still applies
each field's converters, e.g. the metadata JSON).
"""

from __future__ import annotations

from functools import cache

from django.db import connection

from payments.models import ACTIVE_PAYMENT_STATUSES, Merchant, Order, Payment

_MERCHANT_PREFIX = "merchant__"


def _columns(model) -> list[str]:
    return [field.column for field in model._meta.concrete_fields]


@cache
def _order_page_sql() -> str:
    qn = connection.ops.quote_name
    order_columns = ", ".join(f"o.{qn(c)}" for c in _columns(Order))
    merchant_columns = ", ".join(
        f"m.{qn(c)} AS {qn(_MERCHANT_PREFIX + c)}" for c in _columns(Merchant)
    )
    statuses = ", ".join("%s" for _ in ACTIVE_PAYMENT_STATUSES)
    payment_order = Payment._meta.get_field("order").column
    # At most one payment per order is active (constraint one_active_payment_per_order).
    return (
        f"SELECT {order_columns}, {merchant_columns}, "
        f"(SELECT p.{qn('public_id')} FROM {qn(Payment._meta.db_table)} p"
        f" WHERE p.{qn(payment_order)} = o.{qn('id')} AND p.{qn('status')} IN ({statuses})"
        f" LIMIT 1) AS {qn('active_payment_id')}"
        f" FROM {qn(Order._meta.db_table)} o"
        f" JOIN {qn(Merchant._meta.db_table)} m ON m.{qn('id')} = o.{qn(Order._meta.get_field('merchant').column)}"
        f" WHERE o.{qn('checkout_token')} = %s"
    )


def order_for_checkout(token: str) -> Order | None:
    """Return the order of checkout ``token`` with ``merchant`` loaded and ``active_payment_id``
    (the active payment's public id, or None); None when no order has that token."""
    rows = list(Order.objects.raw(_order_page_sql(), [*ACTIVE_PAYMENT_STATUSES, token]))
    if not rows:
        return None
    order = rows[0]
    columns = _columns(Merchant)
    values = [order.__dict__.pop(_MERCHANT_PREFIX + c) for c in columns]
    order.merchant = Merchant.from_db(
        order._state.db, [f.attname for f in Merchant._meta.concrete_fields], values
    )
    return order
