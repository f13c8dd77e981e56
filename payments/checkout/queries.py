"""The order page's query: the order, its merchant and its active payment's id, in one query."""

from __future__ import annotations

from django.db.models import OuterRef, QuerySet, Subquery

from payments.models import ACTIVE_PAYMENT_STATUSES, Order, Payment


def order_page_queryset() -> QuerySet[Order]:
    """Orders with their merchant and ``active_payment_id`` (a payment's public id or None)."""
    # At most one payment per order is active (constraint one_active_payment_per_order).
    active = (
        Payment.objects.filter(order=OuterRef("pk"), status__in=ACTIVE_PAYMENT_STATUSES)
        .order_by()
        .values("public_id")[:1]
    )
    return Order.objects.select_related("merchant").annotate(active_payment_id=Subquery(active))


def order_for_checkout(token: str) -> Order | None:
    """Return the order of the checkout ``token`` as ``order_page_queryset()`` has it, or None."""
    return order_page_queryset().filter(checkout_token=token).order_by().first()
