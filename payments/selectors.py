"""Read-side queries, each scoped to one merchant and one mode (test or live).

An object of another merchant or of the other mode is reported as ``NotFound``: callers cannot
tell it from an id that does not exist.
"""

from __future__ import annotations

from datetime import date

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncDate

from .errors import NotFound
from .models import Event, Merchant, MerchantFixedFee, Order, OutboxMessage, Payment, Refund
from .money import fixed_fee_default
from .screening import payment_relations


def _payments_relations() -> list[str]:
    """The order's payments' relations the representation reads, prefetched with them."""
    return [f"payments__{name}" for name in payment_relations()]


def merchant_fixed_fees(*, merchant_ids: list[int]) -> dict[tuple[int, str], int]:
    """Return the merchants' own fixed fees by ``(merchant_id, currency)`` (one query); a pair
    not in it pays the currency's default (``money.fixed_fee_default``)."""
    rows = MerchantFixedFee.objects.filter(merchant_id__in=merchant_ids)
    return {
        (m, c): amount for m, c, amount in rows.values_list("merchant_id", "currency", "amount")
    }


def merchant_fixed_fee(*, merchant: Merchant, currency: str) -> int:
    """Return the fixed fee per payment the merchant pays in ``currency``, in its minor units."""
    own = merchant_fixed_fees(merchant_ids=[merchant.pk]).get((merchant.pk, currency))
    return fixed_fee_default(currency) if own is None else own


def order_list(*, merchant: Merchant, livemode: bool) -> QuerySet[Order]:
    """Return the merchant's orders of one mode, newest first."""
    return (
        Order.objects.filter(merchant=merchant, livemode=livemode)
        .prefetch_related("payments", *_payments_relations())
        .order_by("-created", "-id")
    )


def order_get(
    *, merchant: Merchant, livemode: bool, order_id: str, with_payments: bool = True
) -> Order:
    """``with_payments=False`` when the caller does not show the order's payments."""
    orders = Order.objects.filter(merchant=merchant, livemode=livemode)
    if with_payments:
        orders = orders.prefetch_related("payments", *_payments_relations())
    order = orders.filter(public_id=order_id).first()
    if order is None:
        raise NotFound("No such order.")
    order.merchant = merchant  # known: spares a query to whoever reads it
    return order


def payment_list(*, merchant: Merchant, livemode: bool) -> QuerySet[Payment]:
    return (
        Payment.objects.filter(merchant=merchant, livemode=livemode)
        .select_related("order", *payment_relations())
        .order_by("-created", "-id")
    )


def payment_get(*, merchant: Merchant, livemode: bool, payment_id: str) -> Payment:
    payment = (
        payment_list(merchant=merchant, livemode=livemode).filter(public_id=payment_id).first()
    )
    if payment is None:
        raise NotFound("No such payment.")
    return payment


def payment_get_by_transfer_reference(
    *, merchant: Merchant, livemode: bool, reference: str
) -> Payment:
    """Return the merchant's bank-transfer payment that asked the shopper for ``reference``."""
    payment = (
        payment_list(merchant=merchant, livemode=livemode)
        .filter(method_type=Payment.Method.BANK_TRANSFER, transfer__reference=reference)
        .first()
    )
    if payment is None:
        raise NotFound("No open bank transfer has this reference.")
    return payment


def refund_list(*, merchant: Merchant, livemode: bool) -> QuerySet[Refund]:
    return (
        Refund.objects.filter(merchant=merchant, livemode=livemode)
        .select_related("payment__order")
        .order_by("-created", "-id")
    )


def refund_get(*, merchant: Merchant, livemode: bool, refund_id: str) -> Refund:
    refund = refund_list(merchant=merchant, livemode=livemode).filter(public_id=refund_id).first()
    if refund is None:
        raise NotFound("No such refund.")
    return refund


def event_list(*, merchant: Merchant, livemode: bool) -> QuerySet[Event]:
    return Event.objects.filter(merchant=merchant, livemode=livemode).order_by("-created", "-id")


def event_get(*, merchant: Merchant, livemode: bool, event_id: str) -> Event:
    event = event_list(merchant=merchant, livemode=livemode).filter(public_id=event_id).first()
    if event is None:
        raise NotFound("No such event.")
    return event


def outbox_message_list(*, merchant: Merchant, livemode: bool) -> QuerySet[OutboxMessage]:
    """Return the messages (OTP codes by SMS or e-mail) sent for the merchant's payments."""
    return (
        OutboxMessage.objects.filter(merchant=merchant, livemode=livemode)
        .select_related("payment")
        .order_by("-created", "-id")
    )


# --- figures across merchants, for the back-office dashboard ---
# ``merchant_ids`` is the list a staff user may see, None for every merchant.


def _of_merchants(queryset: QuerySet, merchant_ids: list[int] | None, lookup: str = "merchant"):
    return queryset if merchant_ids is None else queryset.filter(**{f"{lookup}__in": merchant_ids})


def merchants_any_live(*, merchant_ids: list[int] | None) -> bool:
    """Return True if one of the merchants may take live payments."""
    return _of_merchants(Merchant.objects.filter(live_enabled=True), merchant_ids, "pk").exists()


def payments_of_merchants(*, merchant_ids: list[int] | None, livemode: bool) -> QuerySet[Payment]:
    """Return the payments of one mode of the merchants, for figures over them."""
    return _of_merchants(Payment.objects.filter(livemode=livemode), merchant_ids)


def captures_between(*, merchant_ids: list[int] | None, livemode: bool, since, until) -> list[dict]:
    """Return ``currency``, ``captured_at`` and ``amount_captured`` of payments captured then."""
    payments = payments_of_merchants(merchant_ids=merchant_ids, livemode=livemode)
    return list(
        payments.filter(captured_at__gte=since, captured_at__lte=until).values(
            "currency", "captured_at", "amount_captured"
        )
    )


_UNFINISHED = (
    Payment.Status.REQUIRES_PAYMENT_METHOD,
    Payment.Status.PROCESSING,
    Payment.Status.REQUIRES_ACTION,
)


def _finished_between(*, merchant_ids, livemode: bool, since, until) -> QuerySet[Payment]:
    recent = payments_of_merchants(merchant_ids=merchant_ids, livemode=livemode).filter(
        created__gte=since
    )
    if until is not None:
        recent = recent.filter(created__lt=until)
    return recent.exclude(status__in=_UNFINISHED)


def payment_outcomes_since(
    *, merchant_ids: list[int] | None, livemode: bool, since, until=None
) -> tuple[int, int, list[tuple[str, int]]]:
    """Return (finished, approved, [(decline code, count)]) of payments created since ``since``
    (and before ``until``, if given).

    Finished payments left processing; approved ones were authorized at some point.
    """
    recent = _finished_between(
        merchant_ids=merchant_ids, livemode=livemode, since=since, until=until
    )
    counts = recent.aggregate(
        finished=Count("id"), approved=Count("id", filter=Q(authorized_at__isnull=False))
    )
    declines = (
        recent.filter(status=Payment.Status.DECLINED)
        .values_list("decline_code")
        .annotate(n=Count("id"))
        .order_by("-n", "decline_code")
    )
    return counts["finished"], counts["approved"], [(code or "unknown", n) for code, n in declines]


def payment_outcomes_by_day(
    *, merchant_ids: list[int] | None, livemode: bool, since, until, tzinfo
) -> dict[date, tuple[int, int]]:
    """Return {day: (finished, approved)} of payments created in [since, until), by their
    creation day in ``tzinfo``; days without a finished payment are absent."""
    rows = (
        _finished_between(merchant_ids=merchant_ids, livemode=livemode, since=since, until=until)
        .annotate(day=TruncDate("created", tzinfo=tzinfo))
        .values("day")
        .annotate(finished=Count("id"), approved=Count("id", filter=Q(authorized_at__isnull=False)))
        .order_by("day")
    )
    return {row["day"]: (row["finished"], row["approved"]) for row in rows}


def refunds_succeeded_since(
    *, merchant_ids: list[int] | None, livemode: bool, since, until=None
) -> list[tuple[str, int, int]]:
    """Return (currency, count, amount) of the refunds that succeeded since ``since`` (and
    before ``until``, if given)."""
    refunds = _of_merchants(Refund.objects.filter(livemode=livemode), merchant_ids)
    if until is not None:
        refunds = refunds.filter(created__lt=until)
    return [
        (row["currency"], row["n"], row["total"])
        for row in refunds.filter(status=Refund.Status.SUCCEEDED, created__gte=since)
        .values("currency")
        .annotate(n=Count("id"), total=Sum("amount"))
        .order_by("currency")
    ]
