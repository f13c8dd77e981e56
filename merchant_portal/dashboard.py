"""The back-office dashboard's figures, scoped to the merchants a staff user may see."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.apps import apps
from django.db.models import Count, Q, Sum
from django.utils import timezone

from backoffice.access import merchant_ids_for
from payments.models import Merchant, Payment, Refund
from payments.money import active_locale, format_amount

UNFINISHED = (
    Payment.Status.REQUIRES_PAYMENT_METHOD,
    Payment.Status.PROCESSING,
    Payment.Status.REQUIRES_ACTION,
)
CHART_WIDTH, CHART_HEIGHT, CHART_BAR_GAP = 420, 140, 8


@dataclass(frozen=True)
class Bar:
    day: date
    amount: int
    label: str
    x: int
    y: int
    width: int
    height: int


@dataclass(frozen=True)
class CurrencyFigures:
    currency: str
    today: int
    week: int
    today_display: str
    week_display: str
    bars: list[Bar] = field(default_factory=list)


@dataclass(frozen=True)
class Dashboard:
    volumes: list[CurrencyFigures]
    approved: int
    finished: int
    approval_rate: float | None
    declines: list[tuple[str, int]]
    refunds: list[tuple[str, int, int, str]]  # currency, count, amount, display
    pending_settlement: list[tuple[str, int, str]]
    next_payouts: list
    failed_webhooks: int | None
    last_reconciliation: object | None
    # Reconciliation covers every merchant: shown to platform staff only.
    platform: bool = False
    # Endpoints the platform disabled (410 Gone, or failing for days): nothing reaches them.
    disabled_endpoints: list = field(default_factory=list)
    # Live and test payments are never added together: the figures are of one mode.
    livemode: bool = False
    chart_width: int = CHART_WIDTH
    chart_height: int = CHART_HEIGHT


def _scope(queryset, ids, lookup="merchant"):
    return queryset if ids is None else queryset.filter(**{f"{lookup}__in": ids})


def _model(app_label: str, name: str):
    try:
        return apps.get_model(app_label, name)
    except LookupError:
        return None


def _scope_by_admin(queryset, ids):
    """Scope a model owned by another app through its registered scoped admin, else by merchant."""
    from django.contrib import admin

    from backoffice.admin_mixins import MerchantScopedAdmin

    if ids is None:
        return queryset
    model_admin = admin.site._registry.get(queryset.model)
    if isinstance(model_admin, MerchantScopedAdmin):
        return queryset.filter(**{f"{model_admin.merchant_lookup}__in": ids}).distinct()
    if any(f.name == "merchant" for f in queryset.model._meta.fields):
        return queryset.filter(merchant__in=ids)
    return queryset.none()


def _bars(per_day: dict[date, int], days: list[date], currency: str) -> list[Bar]:
    top = max(per_day.values(), default=0) or 1
    slot = CHART_WIDTH // len(days)
    bars = []
    for i, day in enumerate(days):
        amount = per_day.get(day, 0)
        height = round(amount * (CHART_HEIGHT - 20) / top)
        bars.append(
            Bar(
                day=day,
                amount=amount,
                label=format_amount(amount, currency, active_locale()),
                x=i * slot + CHART_BAR_GAP // 2,
                y=CHART_HEIGHT - 20 - height,
                width=slot - CHART_BAR_GAP,
                height=height,
            )
        )
    return bars


def default_livemode(ids) -> bool:
    """Live figures once one of the merchants may take live payments, test figures before."""
    return _scope(Merchant.objects.filter(live_enabled=True), ids, lookup="pk").exists()


def dashboard_for(*, user, now: datetime | None = None, livemode: bool | None = None) -> Dashboard:
    """Return the dashboard figures for the merchants ``user`` may see (all for platform staff),
    of live or test mode (``livemode``, else ``default_livemode``).

    Volume is the captured amount by capture time; the approval rate is payments ever authorized
    over payments that finished (left processing) in the last 7 days.
    """
    now = now or timezone.now()
    ids = merchant_ids_for(user)
    if livemode is None:
        livemode = default_livemode(ids)
    today_start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    week_start = today_start - timedelta(days=6)
    days = [(week_start + timedelta(days=i)).date() for i in range(7)]

    payments = _scope(Payment.objects.filter(livemode=livemode), ids)
    captured = payments.filter(captured_at__gte=week_start, captured_at__lte=now)
    per_currency: dict[str, dict[date, int]] = {}
    for row in captured.values("currency", "captured_at", "amount_captured"):
        day = timezone.localtime(row["captured_at"]).date()
        bucket = per_currency.setdefault(row["currency"], {})
        bucket[day] = bucket.get(day, 0) + row["amount_captured"]
    volumes = []
    for currency in sorted(per_currency):
        per_day = per_currency[currency]
        today, week = per_day.get(days[-1], 0), sum(per_day.values())
        volumes.append(
            CurrencyFigures(
                currency=currency,
                today=today,
                week=week,
                today_display=format_amount(today, currency, active_locale()),
                week_display=format_amount(week, currency, active_locale()),
                bars=_bars(per_day, days, currency),
            )
        )

    recent = payments.filter(created__gte=week_start).exclude(status__in=UNFINISHED)
    counts = recent.aggregate(
        finished=Count("id"), approved=Count("id", filter=Q(authorized_at__isnull=False))
    )
    finished, approved = counts["finished"], counts["approved"]
    declines = list(
        recent.filter(status=Payment.Status.DECLINED)
        .values_list("decline_code")
        .annotate(n=Count("id"))
        .order_by("-n", "decline_code")
    )

    refunds = [
        (
            row["currency"],
            row["n"],
            row["total"],
            format_amount(row["total"], row["currency"], active_locale()),
        )
        for row in _scope(Refund.objects.filter(livemode=livemode), ids)
        .filter(status=Refund.Status.SUCCEEDED, created__gte=week_start)
        .values("currency")
        .annotate(n=Count("id"), total=Sum("amount"))
        .order_by("currency")
    ]

    return Dashboard(
        volumes=volumes,
        approved=approved,
        finished=finished,
        approval_rate=(approved / finished) if finished else None,
        declines=[(code or "unknown", n) for code, n in declines],
        refunds=refunds,
        pending_settlement=_pending_settlement(payments),
        next_payouts=_next_payouts(ids, now, livemode),
        failed_webhooks=_failed_webhooks(ids, livemode),
        disabled_endpoints=_disabled_endpoints(ids, livemode),
        last_reconciliation=_last_reconciliation() if ids is None else None,
        platform=ids is None,
        livemode=livemode,
    )


def _pending_settlement(payments) -> list[tuple[str, int, str]]:
    """Captured money not yet in a settlement batch, net of refunds, per currency."""
    pending = payments.filter(status__in=Payment.CAPTURED_STATES)
    for relation in Payment._meta.related_objects:
        # A settlement row pointing at a payment means it is settled (or being settled).
        if relation.related_model._meta.app_label == "settlement":
            pending = pending.filter(**{f"{relation.get_accessor_name()}__isnull": True})
    rows = (
        pending.values("currency")
        .annotate(captured=Sum("amount_captured"), refunded=Sum("amount_refunded"))
        .order_by("currency")
    )
    result = []
    for row in rows:
        net = (row["captured"] or 0) - (row["refunded"] or 0)
        result.append((row["currency"], net, format_amount(net, row["currency"], active_locale())))
    return result


def _next_payouts(ids, now, livemode: bool) -> list:
    model = _model("settlement", "Payout") or _model("settlement", "SettlementBatch")
    if model is None:
        return []
    names = {f.name for f in model._meta.fields}
    qs = _scope_by_admin(model.objects.filter(livemode=livemode), ids)
    date_field = next((n for n in ("payout_date", "pay_on", "scheduled_for") if n in names), None)
    if date_field:
        qs = qs.filter(**{f"{date_field}__gte": timezone.localtime(now).date()}).order_by(
            date_field
        )
    if "status" in names:
        qs = qs.exclude(status="paid")
    rows = []
    for obj in qs[:5]:
        amount = next(
            (getattr(obj, n) for n in ("amount", "net_amount", "payout_amount") if n in names),
            None,
        )
        currency = getattr(obj, "currency", None)
        rows.append(
            {
                "label": str(obj),
                "date": getattr(obj, date_field) if date_field else None,
                "amount": format_amount(amount, currency, active_locale())
                if amount is not None and currency
                else "",
            }
        )
    return rows


def _failed_webhooks(ids, livemode: bool) -> int | None:
    model = _model("payments", "WebhookDelivery")
    if model is None:
        return None
    failed = model.objects.filter(status="failed", livemode=livemode)
    return _scope_by_admin(failed, ids).count()


def _disabled_endpoints(ids, livemode: bool, limit: int = 5) -> list:
    """The webhook endpoints disabled by the platform, not by their merchant, latest first."""
    model = _model("payments", "WebhookEndpoint")
    if model is None:
        return []
    from payments.webhooks import DISABLED_BY_MERCHANT

    # An endpoint registered disabled has no reason; one its merchant disabled has theirs.
    disabled = model.objects.filter(enabled=False, livemode=livemode).exclude(
        disabled_reason__in=["", DISABLED_BY_MERCHANT]
    )
    return list(_scope_by_admin(disabled, ids).order_by("-disabled_at", "-pk")[:limit])


def _last_reconciliation():
    model = _model("settlement", "ReconciliationRun")
    if model is None:
        return None
    return model.objects.order_by("-pk").first()
