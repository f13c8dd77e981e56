"""Row locks for money-moving services, always taken in one order: order, payment, refund."""

from django.db.models import QuerySet

from .errors import NotFound
from .models import Merchant, Order, Payment, Refund


def _one(qs: QuerySet, what: str):
    obj = qs.select_for_update().first()
    if obj is None:
        raise NotFound(f"No such {what}.")
    return obj


def order_lock(*, order_pk: int) -> Order:
    return _one(Order.objects.filter(pk=order_pk), "order")


def order_for_merchant(*, merchant: Merchant, order_id: str, livemode: bool | None = None) -> Order:
    qs = Order.objects.filter(merchant=merchant, public_id=order_id)
    if livemode is not None:
        qs = qs.filter(livemode=livemode)
    return _one(qs, "order")


def payment_lock(*, payment_pk: int) -> Payment:
    return _one(Payment.objects.filter(pk=payment_pk), "payment")


def payment_for_merchant(
    *, merchant: Merchant, payment_id: str, livemode: bool | None = None
) -> Payment:
    """Lock the payment's order, then the payment (the fixed order every service follows)."""
    qs = Payment.objects.filter(merchant=merchant, public_id=payment_id)
    if livemode is not None:
        qs = qs.filter(livemode=livemode)
    order_pk = qs.values_list("order_id", flat=True).first()
    if order_pk is None:
        raise NotFound("No such payment.")
    order_lock(order_pk=order_pk)
    return _one(qs, "payment")


def payment_with_order(*, payment_pk: int) -> tuple[Order, Payment]:
    order_pk = Payment.objects.filter(pk=payment_pk).values_list("order_id", flat=True).first()
    if order_pk is None:
        raise NotFound("No such payment.")
    order = order_lock(order_pk=order_pk)
    return order, payment_lock(payment_pk=payment_pk)


def refund_lock(*, refund_pk: int) -> Refund:
    return _one(Refund.objects.filter(pk=refund_pk), "refund")
