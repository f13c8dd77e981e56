"""The back-office dashboard's figures, scoped to the merchants a staff user may see."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.apps import apps
from django.utils import timezone

from backoffice.access import merchant_ids_for
from payments import selectors as payments_selectors
from payments.money import active_locale, format_amount
from risk import selectors as risk_selectors
from settlement import selectors as settlement_selectors
from webhooks import selectors as webhooks_selectors

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
    # Disputes opened over payments captured in the last 30 days, and the open reviews.
    risk: dict = field(default_factory=dict)
    # Live and test payments are never added together: the figures are of one mode.
    livemode: bool = False
    chart_width: int = CHART_WIDTH
    chart_height: int = CHART_HEIGHT


def _model(app_label: str, name: str):
    try:
        return apps.get_model(app_label, name)
    except LookupError:
        return None


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
    return payments_selectors.merchants_any_live(merchant_ids=ids)


def _money(amount: int, currency: str) -> str:
    return format_amount(amount, currency, active_locale())


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
    scope = {"merchant_ids": ids, "livemode": livemode}

    finished, approved, declines = payments_selectors.payment_outcomes_since(
        **scope, since=week_start
    )
    refunds = [
        (currency, n, total, _money(total, currency))
        for currency, n, total in payments_selectors.refunds_succeeded_since(
            **scope, since=week_start
        )
    ]
    return Dashboard(
        volumes=_volumes(scope, week_start, now, days),
        approved=approved,
        finished=finished,
        approval_rate=(approved / finished) if finished else None,
        declines=declines,
        refunds=refunds,
        pending_settlement=[
            (currency, net, _money(net, currency))
            for currency, net in settlement_selectors.unsettled_totals(**scope)
        ],
        next_payouts=_next_payouts(scope, now),
        failed_webhooks=_failed_webhooks(ids, livemode),
        disabled_endpoints=_disabled_endpoints(ids, livemode),
        last_reconciliation=settlement_selectors.reconciliation_last() if ids is None else None,
        platform=ids is None,
        risk=risk_selectors.dispute_rate_since(**scope, since=today_start - timedelta(days=29)),
        livemode=livemode,
    )


def _volumes(scope: dict, week_start: datetime, now: datetime, days: list[date]):
    """Captured amount per currency: today, the last 7 days, and a bar per day."""
    per_currency: dict[str, dict[date, int]] = {}
    for row in payments_selectors.captures_between(**scope, since=week_start, until=now):
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
                today_display=_money(today, currency),
                week_display=_money(week, currency),
                bars=_bars(per_day, days, currency),
            )
        )
    return volumes


def _next_payouts(scope: dict, now: datetime) -> list[dict]:
    return [
        {
            "label": str(payout),
            "date": payout.payout_date,
            "amount": _money(payout.amount, payout.currency),
        }
        for payout in settlement_selectors.payouts_upcoming(
            **scope, today=timezone.localtime(now).date()
        )
    ]


def _failed_webhooks(ids, livemode: bool) -> int:
    failed = webhooks_selectors.deliveries_failed(livemode=livemode)
    return (failed if ids is None else failed.filter(merchant__in=ids)).count()


def _disabled_endpoints(ids, livemode: bool, limit: int = 5) -> list:
    """The webhook endpoints disabled by the platform, not by their merchant, latest first."""
    disabled = webhooks_selectors.endpoints_disabled_by_platform(livemode=livemode)
    return list((disabled if ids is None else disabled.filter(merchant__in=ids))[:limit])


def _last_reconciliation():
    model = _model("settlement", "ReconciliationRun")
    if model is None:
        return None
    return model.objects.order_by("-pk").first()
