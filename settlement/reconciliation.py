"""Compare ledger balances, batch totals and payments, to the minor unit (read-only).

Every check is one aggregate query; each difference is a dict naming the check, the object,
the expected and actual amounts and their difference, ready to be stored as JSON.
"""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Count, Exists, F, IntegerField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from ledger.models import Posting
from payments.invariants import merchant_adjustments
from payments.models import Merchant, Payment, Refund

from .models import Payout, SettlementAdjustment, SettlementBatch, SettlementLine

CAPTURED = [s.value for s in Payment.CAPTURED_STATES]
LIMIT = 100  # per check: enough to act on, bounded for a broken database


def _diff(check: str, obj: str, expected: int, actual: int, **extra) -> dict:
    return {
        "check": check,
        "object": obj,
        "expected": expected,
        "actual": actual,
        "difference": actual - expected,
        **extra,
    }


def _sum(postings):
    """Sum of postings in one account (the subquery groups by it), 0 when there are none."""
    return Coalesce(
        Subquery(
            postings.order_by().values("account_id").annotate(s=Sum("amount")).values("s")[:1]
        ),
        Value(0),
        output_field=IntegerField(),
    )


def _line_sum(field, kind: str | None = None):
    lines = SettlementLine.objects.filter(batch_id=OuterRef("pk"))
    if kind:
        lines = lines.filter(kind=kind)
    return Coalesce(
        Subquery(lines.order_by().values("batch_id").annotate(s=Sum(field)).values("s")[:1]),
        Value(0),
        output_field=IntegerField(),
    )


def _line_count(kind: str):
    lines = SettlementLine.objects.filter(batch_id=OuterRef("pk"), kind=kind)
    return Coalesce(
        Subquery(lines.order_by().values("batch_id").annotate(n=Count("id")).values("n")[:1]),
        Value(0),
        output_field=IntegerField(),
    )


def _adjustment_sum(total):
    rows = SettlementAdjustment.objects.filter(batch_id=OuterRef("pk"))
    return Coalesce(
        Subquery(rows.order_by().values("batch_id").annotate(s=total).values("s")[:1]),
        Value(0),
        output_field=IntegerField(),
    )


def batch_total_differences() -> list[dict]:
    """Each batch's totals equal the sums of its lines and adjustments, and its arithmetic
    holds."""
    out = []
    batches = SettlementBatch.objects.exclude(status=SettlementBatch.Status.OPEN).annotate(
        l_gross=_line_sum("amount", "payment"),
        l_refunds=_line_sum("amount", "refund"),
        l_fees=_line_sum(F("fee") + F("fx_markup") + F("cross_border_fee")),
        l_net=_line_sum("net"),
        l_payments=_line_count("payment"),
        l_refund_count=_line_count("refund"),
        a_amount=_adjustment_sum(Sum("amount")),
        a_count=_adjustment_sum(Count("id")),
        # The lines' net less the adjustments: what the batch's net must be.
        l_net_adjusted=F("l_net") - F("a_amount"),
    )
    pairs = [
        ("gross_amount", "l_gross"),
        ("refunds_amount", "l_refunds"),
        ("fees_amount", "l_fees"),
        ("adjustments_amount", "a_amount"),
        ("adjustment_count", "a_count"),
        ("net_amount", "l_net_adjusted"),
        ("payment_count", "l_payments"),
        ("refund_count", "l_refund_count"),
    ]
    wrong = Q()
    for field, annotated in pairs:
        wrong |= ~Q(**{field: F(annotated)})
    for batch in batches.filter(wrong)[:LIMIT]:
        for field, annotated in pairs:
            if getattr(batch, field) != getattr(batch, annotated):
                out.append(
                    _diff(
                        f"batch_{field}_vs_lines",
                        batch.public_id,
                        getattr(batch, annotated),
                        getattr(batch, field),
                        currency=batch.currency,
                    )
                )
    arithmetic = SettlementBatch.objects.exclude(status=SettlementBatch.Status.OPEN).filter(
        ~Q(
            net_amount=F("gross_amount")
            - F("refunds_amount")
            - F("fees_amount")
            - F("adjustments_amount")
        )
        | ~Q(payout_amount=F("net_amount") + F("carry_in") - F("carry_out"))
        | (Q(payout_amount__gt=0) & Q(carry_out__lt=0))
    )
    for batch in arithmetic[:LIMIT]:
        expected = (
            batch.gross_amount - batch.refunds_amount - batch.fees_amount - batch.adjustments_amount
        )
        out.append(
            _diff(
                "batch_payout_arithmetic",
                batch.public_id,
                max(expected + batch.carry_in, 0),
                batch.payout_amount,
                currency=batch.currency,
                net_amount=batch.net_amount,
                carry_in=batch.carry_in,
                carry_out=batch.carry_out,
            )
        )
    return out


def line_differences() -> list[dict]:
    """Lines match the payments and refunds they settle; nothing is settled twice."""
    return (
        _line_vs_source_differences("payment", amount="amount_captured", statuses=CAPTURED)
        + _line_vs_source_differences("refund", amount="amount", statuses=[Refund.Status.SUCCEEDED])
        + _line_net_differences()
        + _orphan_line_differences()
        + _settled_twice_differences()
    )


def _line_vs_source_differences(kind: str, *, amount: str, statuses: list) -> list[dict]:
    """Lines of ``kind`` whose payment (refund) has another amount, a status that is not settled,
    another merchant, currency or mode than the batch, or a date not before its cut-off."""
    at = "captured_at" if kind == "payment" else "processed_at"
    # A line whose payment or refund is missing is reported once, by _orphan_line_differences.
    lines = SettlementLine.objects.filter(kind=kind, **{f"{kind}__public_id__isnull": False})
    # A converted payment (refund) settles its amount in the settlement currency (fx).
    settled_amount = Coalesce(f"{kind}__fx_conversion__settlement_amount", f"{kind}__{amount}")
    settled_currency = Coalesce(f"{kind}__fx_conversion__settlement_currency", f"{kind}__currency")
    lines = lines.annotate(settled_amount=settled_amount, settled_currency=settled_currency)
    lines = lines.filter(
        ~Q(amount=F("settled_amount"))
        | ~Q(**{f"{kind}__status__in": statuses})
        | ~Q(**{f"{kind}__merchant_id": F("batch__merchant_id")})
        | ~Q(settled_currency=F("batch__currency"))
        | ~Q(**{f"{kind}__livemode": F("batch__livemode")})
        | Q(**{f"{kind}__{at}__gte": F("batch__cutoff")})
    )
    out = []
    for line in lines.select_related(kind, "batch")[:LIMIT]:
        source = getattr(line, kind)
        out.append(
            _diff(
                f"line_vs_{kind}",
                source.public_id,
                line.settled_amount,
                line.amount,
                batch=line.batch.public_id,
                **{f"{kind}_status": source.status},
            )
        )
    return out


def _line_net_differences() -> list[dict]:
    wrong_net = SettlementLine.objects.filter(
        (
            Q(kind="payment")
            & ~Q(net=F("amount") - F("fee") - F("fx_markup") - F("cross_border_fee"))
        )
        | (Q(kind="refund") & (~Q(net=-F("amount")) | ~Q(fee=0)))
    )
    out = []
    for line in wrong_net.select_related("batch")[:LIMIT]:
        fees = line.fee + line.fx_markup + line.cross_border_fee
        expected = line.amount - fees if line.kind == "payment" else -line.amount
        out.append(_diff("line_net", f"line {line.pk}", expected, line.net))
    return out


def _orphan_line_differences() -> list[dict]:
    """Lines whose batch, payment or refund is missing.

    The database does not check these references (models.SettlementLine says why): this does.
    """
    no_batch = SettlementLine.objects.filter(
        ~Exists(SettlementBatch.objects.filter(pk=OuterRef("batch_id")))
    ).order_by("pk")  # the default ordering joins the batch, which would hide the line
    out = [
        _diff("line_without_batch", f"line {line.pk}", line.amount, 0, batch_id=line.batch_id)
        for line in no_batch[:LIMIT]
    ]
    for kind, model in (("payment", Payment), ("refund", Refund)):
        missing = SettlementLine.objects.filter(kind=kind).filter(
            ~Exists(model.objects.filter(pk=OuterRef(f"{kind}_id")))
        )
        for line in missing.select_related("batch")[:LIMIT]:
            out.append(
                _diff(
                    f"line_without_{kind}",
                    f"line {line.pk}",
                    line.amount,
                    0,
                    batch=line.batch.public_id,
                    **{f"{kind}_id": getattr(line, f"{kind}_id")},
                )
            )
    return out


def _settled_twice_differences() -> list[dict]:
    out = []
    for field in ("payment_id", "refund_id"):
        twice = (
            SettlementLine.objects.filter(**{f"{field}__isnull": False})
            .values(field)
            .annotate(n=Count("id"))
            .filter(n__gt=1)
            .order_by()
        )
        for row in twice[:LIMIT]:
            out.append(_diff(f"settled_more_than_once_{field}", str(row[field]), 1, row["n"]))
    return out


def _entry_postings(kind: str, account_kind: str):
    return Posting.objects.filter(
        entry__kind=kind,
        entry__reference=OuterRef("public_id"),
        account__kind=account_kind,
        account__owner=OuterRef("merchant__public_id"),
        account__currency=OuterRef("currency"),
    )


def ledger_entry_differences() -> list[dict]:
    """Each closed batch and each payout has the journal entry its amounts call for."""
    out = []
    batches = (
        SettlementBatch.objects.exclude(status=SettlementBatch.Status.OPEN)
        .annotate(
            p_pending=_sum(_entry_postings("settlement", "merchant_pending")),
            p_fees=_sum(_entry_postings("settlement", "platform_fees")),
            p_payable=_sum(_entry_postings("settlement", "merchant_payable")),
        )
        .filter(
            ~Q(p_pending=F("fees_amount") + F("payout_amount"))
            | ~Q(p_fees=-F("fees_amount"))
            | ~Q(p_payable=-F("payout_amount"))
        )
    )
    for batch in batches[:LIMIT]:
        for name, expected, actual in [
            ("merchant_pending", batch.fees_amount + batch.payout_amount, batch.p_pending),
            ("platform_fees", -batch.fees_amount, batch.p_fees),
            ("merchant_payable", -batch.payout_amount, batch.p_payable),
        ]:
            if expected != actual:
                out.append(_diff(f"settlement_entry_{name}", batch.public_id, expected, actual))
    # A merchant on manual payouts keeps its settled money: its batches have no payout.
    missing = SettlementBatch.objects.filter(
        payout_amount__gt=0,
        payout__isnull=True,
        merchant__payout_schedule=Merchant.PayoutSchedule.AUTOMATIC,
    )
    for batch in missing[:LIMIT]:
        out.append(_diff("batch_without_payout", batch.public_id, batch.payout_amount, 0))
    payouts = (
        Payout.objects.annotate(
            p_payable=_sum(_entry_postings("payout", "merchant_payable")),
            p_paid_out=_sum(_entry_postings("payout", "merchant_paid_out")),
            b_amount=F("batch__payout_amount"),
        )
        .filter(
            ~Q(amount=F("b_amount"))
            | (
                Q(status=Payout.Status.PAID)
                & (~Q(p_payable=F("amount")) | ~Q(p_paid_out=-F("amount")))
            )
            | (Q(status=Payout.Status.SCHEDULED) & (~Q(p_payable=0) | ~Q(p_paid_out=0)))
        )
        .select_related("batch")
    )
    for payout in payouts[:LIMIT]:
        paid = payout.status == Payout.Status.PAID
        if payout.amount != payout.b_amount:
            out.append(_diff("payout_vs_batch", payout.public_id, payout.b_amount, payout.amount))
        expected = payout.amount if paid else 0
        if payout.p_payable != expected:
            out.append(
                _diff("payout_entry_merchant_payable", payout.public_id, expected, payout.p_payable)
            )
        if payout.p_paid_out != -expected:
            out.append(
                _diff(
                    "payout_entry_merchant_paid_out", payout.public_id, -expected, payout.p_paid_out
                )
            )
    return out


def ledger_balance_differences() -> list[dict]:
    """Each merchant account's balance equals what payments, batches and payouts call for."""
    expected, actual = _balances_expected(), _balances_posted()
    out = []
    for key in sorted(set(expected) | set(actual)):
        if expected.get(key, 0) != actual.get(key, 0):
            owner, currency, kind = key
            out.append(
                _diff(
                    f"ledger_{kind}",
                    owner,
                    expected.get(key, 0),
                    actual.get(key, 0),
                    currency=currency,
                )
            )
    return out[:LIMIT]


def _per_merchant_and_currency(queryset, total, settled_currency: str | None = None):
    """``(merchant_id, currency, sum)`` rows of ``total`` over ``queryset``; with
    ``settled_currency`` (a converted row's currency field) its currency where it has one."""
    currency = Coalesce(settled_currency, "currency") if settled_currency else F("currency")
    return (
        queryset.annotate(group_currency=currency)
        .values("merchant_id", "group_currency")
        .annotate(s=total)
        .values_list("merchant_id", "group_currency", "s")
        .order_by()
    )


def _balances_expected() -> dict[tuple[str, str, str], int]:
    """The balance each merchant account should have, by (owner, currency, account kind)."""
    expected: dict[tuple[str, str, str], int] = defaultdict(int)
    owners = dict(Merchant.objects.values_list("pk", "public_id"))

    def add(kind, rows, sign):
        for merchant_id, currency, amount in rows:
            expected[owners[merchant_id], currency, kind] += sign * (amount or 0)

    captured = Payment.objects.filter(status__in=CAPTURED)
    refunded = Refund.objects.filter(status=Refund.Status.SUCCEEDED)
    closed = SettlementBatch.objects.exclude(status=SettlementBatch.Status.OPEN)
    paid = Payout.objects.filter(status=Payout.Status.PAID)
    # Converted payments and their refunds are owed in the settlement currency (fx).
    settled_currency = "fx_conversion__settlement_currency"
    captured_settled = Sum(Coalesce("fx_conversion__settlement_amount", "amount_captured"))
    refunded_settled = Sum(Coalesce("fx_conversion__settlement_amount", "amount"))
    add(
        "merchant_pending",
        _per_merchant_and_currency(captured, captured_settled, settled_currency),
        -1,
    )
    add(
        "merchant_pending",
        _per_merchant_and_currency(refunded, refunded_settled, settled_currency),
        +1,
    )
    settled = Sum(F("fees_amount") + F("payout_amount"))
    add("merchant_pending", _per_merchant_and_currency(closed, settled), +1)
    add("platform_fees", _per_merchant_and_currency(closed, Sum("fees_amount")), -1)
    add("merchant_payable", _per_merchant_and_currency(Payout.objects, Sum("amount")), -1)
    add("merchant_payable", _per_merchant_and_currency(paid, Sum("amount")), +1)
    add("merchant_paid_out", _per_merchant_and_currency(paid, Sum("amount")), -1)
    for owner, currency, kind, amount in merchant_adjustments():  # e.g. disputes (``risk``)
        expected[owner, currency, kind] += amount
    return expected


def _balances_posted() -> dict[tuple[str, str, str], int]:
    """The balance of each merchant account in the ledger, by (owner, currency, account kind),
    from the entries settlement accounts for: bulk payouts move the balance on their own
    entries, which ``payouts.invariants`` checks against the payout items."""
    balances = (
        Posting.objects.exclude(entry__kind="bulk_payout")
        .filter(
            account__owner__startswith="mer_",
            account__kind__in=[
                "merchant_pending",
                "merchant_payable",
                "merchant_paid_out",
                "platform_fees",
            ],
        )
        .values_list("account__owner", "account__currency", "account__kind")
        .annotate(s=Sum("amount"))
        .order_by()
    )
    return {(owner, currency, kind): total or 0 for owner, currency, kind, total in balances}


def reconciliation_differences() -> list[dict]:
    """Return every difference found; an empty list when books, batches and payments agree."""
    return (
        batch_total_differences()
        + line_differences()
        + ledger_entry_differences()
        + ledger_balance_differences()
    )
