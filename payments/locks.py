"""Row locks for money-moving services, always taken in one order: order, payment, refund."""

from django.db.models import Exists, OuterRef, QuerySet

from .errors import NotFound
from .models import Merchant, Order, Payment, PaymentAttempt, Refund
from .screening import payment_relations


def _one(qs: QuerySet, what: str, of: tuple[str, ...] = ("self",)):
    # ``of``: rows joined only to be read (a payment's merchant) are not locked.
    obj = qs.select_for_update(of=of).first()
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
    return _one(_payments().filter(pk=payment_pk), "payment")


def _payments() -> QuerySet[Payment]:
    # The merchant comes along: the ledger names its accounts by the merchant's public id.
    return Payment.objects.select_related("merchant")


def payment_for_merchant(
    *, merchant: Merchant, payment_id: str, livemode: bool | None = None
) -> Payment:
    """Lock the payment's order, then the payment (the fixed order every service follows)."""
    qs = _payments().filter(merchant=merchant, public_id=payment_id)
    if livemode is not None:
        qs = qs.filter(livemode=livemode)
    order_pk = qs.values_list("order_id", flat=True).first()
    if order_pk is None:
        raise NotFound("No such payment.")
    order_lock(order_pk=order_pk)
    return _one(qs, "payment")


def payment_with_order(*, payment_pk: int) -> tuple[Order, Payment]:
    order = order_lock(order_pk=order_pk_of(payment_pk=payment_pk))
    return order, payment_lock(payment_pk=payment_pk)


def order_pk_of(*, payment_pk: int) -> int:
    order_pk = Payment.objects.filter(pk=payment_pk).values_list("order_id", flat=True).first()
    if order_pk is None:
        raise NotFound("No such payment.")
    return order_pk


def attempt_with_order(*, attempt_pk: int) -> PaymentAttempt:
    """Lock an attempt's order, its payment and the attempt in one query, in that order.

    PostgreSQL locks the rows of ``FOR UPDATE OF`` in the order it names them: the order, then
    the payment, as every writer of a payment does in two queries. ``attempt.payment.order`` is
    the locked order row; ``attempt.order_has_other_payments`` says whether the order has other
    payments (declined tries) to read for its snapshot: none is read when it has none.
    """
    related = [f"payment__{name}" for name in payment_relations()]
    others = Payment.objects.filter(order_id=OuterRef("payment__order_id")).exclude(
        pk=OuterRef("payment_id")
    )
    return _one(
        PaymentAttempt.objects.select_related("payment__order", "payment__merchant", *related)
        .annotate(order_has_other_payments=Exists(others))
        .filter(pk=attempt_pk),
        "payment attempt",
        of=("payment__order", "payment", "self"),
    )


def refund_lock(*, refund_pk: int) -> Refund:
    return _one(Refund.objects.filter(pk=refund_pk), "refund")


def payment_in_scope(
    *, merchant: Merchant | None, payment_id: str, livemode: bool | None = None
) -> Payment:
    """Lock a payment of ``merchant`` (of any merchant when None: platform staff) and its order."""
    if merchant is None:
        pk = Payment.objects.filter(public_id=payment_id).values_list("pk", flat=True).first()
        if pk is None:
            raise NotFound("No such payment.")
        return payment_with_order(payment_pk=pk)[1]
    return payment_for_merchant(merchant=merchant, payment_id=payment_id, livemode=livemode)
