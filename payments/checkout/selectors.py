"""Reads of the hosted checkout."""

from __future__ import annotations

from django.db.models import OuterRef, Subquery

from payments.models import ACTIVE_PAYMENT_STATUSES, Order, Payment


def order_for_checkout(token: str) -> Order | None:
    """Return the order of checkout ``token`` with its ``merchant`` and ``active_payment_id``
    (the public id of its payment in progress or done, or None), in one query; None when no
    order has that token."""
    # At most one payment per order is active (constraint one_active_payment_per_order).
    active = Payment.objects.filter(
        order=OuterRef("pk"), status__in=ACTIVE_PAYMENT_STATUSES
    ).values("public_id")[:1]
    orders = Order.objects.select_related("merchant").annotate(active_payment_id=Subquery(active))
    try:
        return orders.get(checkout_token=token)
    except Order.DoesNotExist:
        return None
