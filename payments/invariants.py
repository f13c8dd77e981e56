"""The money invariants of DESIGN section 4, checked with set-based queries.

Each check returns human-readable violations; an empty list means the database is consistent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.db.models import Count, Exists, F, OuterRef, Q, Sum
from django.db.models.functions import Coalesce

from ledger.models import Posting
from ledger.selectors import ledger_violations

from .models import Order, Payment, Refund

CAPTURED = [s.value for s in Payment.CAPTURED_STATES]
ORDER_PAID = list(Order.PAID_STATES)
MERCHANT_ACCOUNTS = ("merchant_pending", "merchant_payable", "merchant_paid_out", "platform_fees")

#: Providers of what other apps post on merchant accounts besides captures, refunds and
#: settlement (``risk``: disputes): ``() -> iterable of (merchant public id, currency, account
#: kind, amount as posted)``. Registered in their ``AppConfig.ready``; payments never imports them.
_ADJUSTMENTS: list[Callable[[], Iterable[tuple[str, str, str, int]]]] = []


def merchant_adjustments_register(provider) -> None:
    if provider not in _ADJUSTMENTS:
        _ADJUSTMENTS.append(provider)


def merchant_adjustments() -> list[tuple[str, str, str, int]]:
    """Return every registered posting total on merchant accounts, as the ledger should hold."""
    return [row for provider in _ADJUSTMENTS for row in provider()]


def payment_violations() -> list[str]:
    out = []
    bad = Payment.objects.filter(
        Q(amount_refunded__gt=F("amount_captured")) | Q(amount_captured__gt=F("amount_authorized"))
    )
    out += [f"payment {p}: refunded/captured/authorized out of order" for p in bad[:50]]

    mismatched = Payment.objects.annotate(
        refunded=Coalesce(
            Sum("refunds__amount", filter=Q(refunds__status=Refund.Status.SUCCEEDED)), 0
        )
    ).exclude(refunded=F("amount_refunded"))
    out += [
        f"payment {p}: amount_refunded differs from its succeeded refunds" for p in mismatched[:50]
    ]

    reserved = Payment.objects.annotate(
        reserved=Coalesce(
            Sum("refunds__amount", filter=~Q(refunds__status=Refund.Status.FAILED)), 0
        )
    ).filter(reserved__gt=F("amount_captured"))
    out += [f"payment {p}: refunds exceed the captured amount" for p in reserved[:50]]

    captured_without = Payment.objects.filter(status__in=CAPTURED, amount_captured__lte=0)
    out += [f"payment {p}: captured with no captured amount" for p in captured_without[:50]]
    return out


def order_violations() -> list[str]:
    """An order is paid exactly when one payment for it is captured."""
    captured = Payment.objects.filter(order=OuterRef("pk"), status__in=CAPTURED)
    out = []
    paid_without = Order.objects.filter(status__in=ORDER_PAID).exclude(Exists(captured))
    out += [
        f"order {o.public_id}: {o.status} without a captured payment" for o in paid_without[:50]
    ]
    captured_not_paid = Order.objects.exclude(status__in=ORDER_PAID).filter(Exists(captured))
    out += [
        f"order {o.public_id}: captured payment but order is {o.status}"
        for o in captured_not_paid[:50]
    ]
    several = Order.objects.annotate(
        n=Count("payments", filter=Q(payments__status__in=CAPTURED))
    ).filter(n__gt=1)
    out += [f"order {o.public_id}: more than one captured payment" for o in several[:50]]
    return out


def ledger_vs_payments_violations() -> list[str]:
    """Captures minus refunds in the ledger equal the payments' figures, per merchant/currency."""
    from collections import defaultdict

    expected: dict[tuple[str, str], int] = defaultdict(int)
    # A payment converted at capture (fx) is owed, and refunded, in the settlement currency.
    captured = (
        Payment.objects.filter(status__in=CAPTURED)
        .annotate(owed_in=Coalesce("fx_conversion__settlement_currency", "currency"))
        .values("merchant__public_id", "owed_in")
        .annotate(total=Sum(Coalesce("fx_conversion__settlement_amount", "amount_captured")))
    )
    refunded = (
        Refund.objects.filter(status=Refund.Status.SUCCEEDED, payment__status__in=CAPTURED)
        .annotate(owed_in=Coalesce("fx_conversion__settlement_currency", "currency"))
        .values("merchant__public_id", "owed_in")
        .annotate(total=-Sum(Coalesce("fx_conversion__settlement_amount", "amount")))
    )
    for row in [*captured, *refunded]:
        expected[(row["merchant__public_id"], row["owed_in"])] += row["total"]
    for owner, currency, kind, amount in merchant_adjustments():
        if kind in MERCHANT_ACCOUNTS:
            expected[(owner, currency)] -= amount  # a debit owed by the merchant lowers it
    # A merchant's pending, payable, held and paid-out accounts plus the platform fees owned by that
    # merchant always equal what was captured minus refunded: settlement moves money between
    # them but never creates or destroys it.
    actual: dict[tuple[str, str], int] = defaultdict(int)
    balances = (
        Posting.objects.filter(
            account__kind__in=[
                "merchant_pending",
                "merchant_payable",
                "merchant_paid_out",
                "merchant_payout_hold",  # payouts: approved bulk payouts not yet paid
                "platform_fees",
            ],
            account__owner__startswith="mer_",
        )
        .values("account__owner", "account__currency")
        .annotate(balance=Sum("amount"))
    )
    for row in balances:
        actual[(row["account__owner"], row["account__currency"])] += -row["balance"]
    out = []
    for key in set(expected) | set(actual):
        if expected.get(key, 0) != actual.get(key, 0):
            out.append(
                f"merchant {key[0]} {key[1]}: ledger holds {actual.get(key, 0)}, "
                f"payments say {expected.get(key, 0)}"
            )
    return out


def trial_balance_violations() -> list[str]:
    """The whole ledger balances in every currency (the FX clearing accounts included)."""
    totals = Posting.objects.values("currency").annotate(total=Sum("amount")).order_by("currency")
    return [
        f"trial balance {row['currency']}: postings sum to {row['total']}, not 0"
        for row in totals
        if row["total"]
    ]


def invariant_violations() -> list[str]:
    """Return every violation of the money invariants (empty when all hold)."""
    return (
        list(ledger_violations())
        + trial_balance_violations()
        + payment_violations()
        + order_violations()
        + ledger_vs_payments_violations()
    )
