"""The back-office dashboard's figures, scoped to the merchants a staff user may see."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.apps import apps
from django.utils import timezone
from django.utils.formats import date_format

from backoffice.access import merchant_ids_for
from payments import selectors as payments_selectors
from payments.money import active_locale, format_amount
from risk import selectors as risk_selectors
from settlement import selectors as settlement_selectors
from webhooks import selectors as webhooks_selectors

#: Presets of the range selector, in days ending today.
RANGE_PRESETS = (7, 30, 90)
DEFAULT_DAYS = 7
MAX_DAYS = 366


@dataclass(frozen=True)
class DateRange:
    """Days ``start`` to ``end`` inclusive, in the active time zone."""

    start: date
    end: date
    #: Why the range asked for in the address was not taken (the default shown instead).
    problem: str = ""

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]

    @property
    def preset(self) -> int | None:
        """The preset's number of days if the range is one (ending today), else None."""
        n = (self.end - self.start).days + 1
        return n if n in RANGE_PRESETS and self.end == _today() else None


def _today(now: datetime | None = None) -> date:
    return timezone.localtime(now or timezone.now()).date()


def date_range_from(query, *, now: datetime | None = None) -> DateRange:
    """Return the range asked for by ``query`` (``?days=30``, or ``?from=2026-11-01&to=...``),
    or the last ``DEFAULT_DAYS`` days with the problem said if it cannot be taken."""
    today = _today(now)
    default = DateRange(today - timedelta(days=DEFAULT_DAYS - 1), today)
    days, start, end = query.get("days"), query.get("from"), query.get("to")
    if not (days or start or end):
        return default

    def refused(problem: str) -> DateRange:
        return DateRange(default.start, default.end, problem)

    if days:
        if not (days.isascii() and days.isdigit() and 1 <= int(days) <= MAX_DAYS):
            return refused(f"The number of days must be from 1 to {MAX_DAYS}.")
        return DateRange(today - timedelta(days=int(days) - 1), today)
    try:
        first = date.fromisoformat(start or "") if start else default.start
        last = date.fromisoformat(end or "") if end else today
    except ValueError:
        return refused("Dates are written as YYYY-MM-DD, such as 2026-11-30.")
    if first > last:
        return refused("The first day of the range is after its last day.")
    if (last - first).days + 1 > MAX_DAYS:
        return refused(f"A range is at most {MAX_DAYS} days long.")
    return DateRange(first, last)


@dataclass(frozen=True)
class Tick:
    label: str
    y: float


@dataclass(frozen=True)
class Bar:
    day: date
    amount: int
    label: str
    x: float
    y: float
    width: float
    height: float
    #: The day written under the axis ("" when the axis is too crowded for every day).
    axis_label: str = ""
    #: The value written above the bar ("" on crowded charts: in the tooltip only).
    value_label: str = ""

    @property
    def cx(self) -> float:
        return round(self.x + self.width / 2, 1)


@dataclass(frozen=True)
class Chart:
    """A bar chart with its axes, laid out in SVG units (``CHART``)."""

    bars: list[Bar]
    ticks: list[Tick]
    title: str


@dataclass(frozen=True)
class ReasonBar:
    reason: str
    count: int
    y: float
    width: float


@dataclass(frozen=True)
class CurrencyFigures:
    currency: str
    today: int
    total: int
    today_display: str
    total_display: str
    chart: Chart | None = None

    @property
    def bars(self) -> list[Bar]:
        return self.chart.bars if self.chart else []


@dataclass(frozen=True)
class ChartGeometry:
    width: int = 640
    height: int = 220
    left: int = 76
    right: int = 8
    top: int = 18
    bottom: int = 26

    @property
    def plot_width(self) -> int:
        return self.width - self.left - self.right

    @property
    def plot_height(self) -> int:
        return self.height - self.top - self.bottom

    @property
    def baseline(self) -> int:
        return self.height - self.bottom

    @property
    def right_edge(self) -> int:
        return self.width - self.right


CHART = ChartGeometry()
#: Declines by reason: one row per reason, the reason written in the left column.
REASONS = ChartGeometry(width=640, left=170, right=48, top=6, bottom=22)
REASON_ROW = 26


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
    period: DateRange | None = None
    approval_chart: Chart | None = None
    decline_bars: list[ReasonBar] = field(default_factory=list)
    decline_ticks: list[Tick] = field(default_factory=list)
    declined: int = 0
    chart: ChartGeometry = CHART
    reasons: ChartGeometry = REASONS

    @property
    def reasons_height(self) -> int:
        return self.reasons.top + REASON_ROW * len(self.decline_bars) + self.reasons.bottom

    @property
    def reasons_baseline(self) -> int:
        return self.reasons_height - self.reasons.bottom


def _model(app_label: str, name: str):
    try:
        return apps.get_model(app_label, name)
    except LookupError:
        return None


def nice_ceiling(value: int, minimum: int = 1) -> int:
    """Return the smallest of 1, 2, 2.5, 5 times a power of ten that is at least ``value``
    (and ``minimum``: counts of 1 get an axis of 0, 1, 2, not 0, 0, 1)."""
    value = max(value, minimum)
    power = 1
    while power * 10 <= value:
        power *= 10
    for step in (1, 2, 2.5, 5, 10):
        top = int(step * power)
        if top >= value:
            return top
    return 10 * power


def _bar_chart(values: dict[date, int | None], days: list[date], *, top: int, label, title: str):
    """Lay out one bar per day of ``values`` (None: no bar) under a ``top`` of the y axis."""
    g = CHART
    slot = g.plot_width / len(days)
    gap = min(8, slot * 0.25)
    # Every day is named under the axis up to 14 days; beyond, about 8 names and no values.
    every = max(1, -(-len(days) // 8)) if len(days) > 14 else 1
    bars = []
    for i, day in enumerate(days):
        value = values.get(day)
        height = 0 if value is None else value * g.plot_height / top
        bars.append(
            Bar(
                day=day,
                amount=value or 0,
                label="no payments" if value is None else label(value),
                x=round(g.left + i * slot + gap / 2, 1),
                y=round(g.baseline - height, 1),
                width=round(slot - gap, 1),
                height=round(height, 1),
                axis_label=date_format(day, "j M") if i % every == 0 else "",
                value_label=label(value) if value and len(days) <= 14 else "",
            )
        )
    ticks = [
        Tick(label=label(round(top * f)), y=round(g.baseline - g.plot_height * f, 1))
        for f in (0, 0.5, 1)
    ]
    return Chart(bars=bars, ticks=ticks, title=title)


def _percent(value: int) -> str:
    return f"{value}%"


def _approval_chart(per_day: dict[date, tuple[int, int]], days: list[date]) -> Chart:
    rates = {
        day: round(100 * approved / finished)
        for day, (finished, approved) in per_day.items()
        if finished
    }
    return _bar_chart(rates, days, top=100, label=_percent, title="Approval rate per day")


def _decline_bars(declines: list[tuple[str, int]]) -> tuple[list[ReasonBar], list[Tick]]:
    g = REASONS
    top = nice_ceiling(max((n for _, n in declines), default=0), minimum=2)
    bars = [
        ReasonBar(
            reason=reason,
            count=n,
            y=g.top + i * REASON_ROW + 4,
            width=round(n * g.plot_width / top, 1),
        )
        for i, (reason, n) in enumerate(declines)
    ]
    ticks = [
        Tick(label=str(round(top * f)), y=round(g.left + g.plot_width * f, 1)) for f in (0, 0.5, 1)
    ]
    return bars, ticks


def default_livemode(ids) -> bool:
    """Live figures once one of the merchants may take live payments, test figures before."""
    return payments_selectors.merchants_any_live(merchant_ids=ids)


def _money(amount: int, currency: str) -> str:
    return format_amount(amount, currency, active_locale())


def dashboard_for(
    *,
    user,
    now: datetime | None = None,
    livemode: bool | None = None,
    period: DateRange | None = None,
) -> Dashboard:
    """Return the dashboard figures for the merchants ``user`` may see (all for platform staff),
    of live or test mode (``livemode``, else ``default_livemode``), over the days of ``period``
    (default: the last 7 days, today included).

    Volume is the captured amount by capture time; the approval rate is payments ever authorized
    over payments that finished (left processing), by creation time.
    """
    now = now or timezone.now()
    ids = merchant_ids_for(user)
    if livemode is None:
        livemode = default_livemode(ids)
    today = _today(now)
    period = period or DateRange(today - timedelta(days=DEFAULT_DAYS - 1), today)
    tz = timezone.get_current_timezone()
    since = datetime.combine(period.start, time.min, tzinfo=tz)
    until = datetime.combine(period.end + timedelta(days=1), time.min, tzinfo=tz)
    today_start = datetime.combine(today, time.min, tzinfo=tz)
    days = period.days
    scope = {"merchant_ids": ids, "livemode": livemode}

    finished, approved, declines = payments_selectors.payment_outcomes_since(
        **scope, since=since, until=until
    )
    per_day = payments_selectors.payment_outcomes_by_day(
        **scope, since=since, until=until, tzinfo=tz
    )
    refunds = [
        (currency, n, total, _money(total, currency))
        for currency, n, total in payments_selectors.refunds_succeeded_since(
            **scope, since=since, until=until
        )
    ]
    decline_bars, decline_ticks = _decline_bars(declines)
    return Dashboard(
        volumes=_volumes(scope, since, min(until, now), days),
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
        period=period,
        approval_chart=_approval_chart(per_day, days),
        decline_bars=decline_bars,
        decline_ticks=decline_ticks,
        declined=sum(n for _, n in declines),
    )


def _volumes(scope: dict, since: datetime, until: datetime, days: list[date]):
    """Captured amount per currency: on the range's last day, over the range, a bar per day."""
    per_currency: dict[str, dict[date, int]] = {}
    for row in payments_selectors.captures_between(**scope, since=since, until=until):
        day = timezone.localtime(row["captured_at"]).date()
        bucket = per_currency.setdefault(row["currency"], {})
        bucket[day] = bucket.get(day, 0) + row["amount_captured"]
    volumes = []
    for currency in sorted(per_currency):
        per_day = per_currency[currency]
        last, total = per_day.get(days[-1], 0), sum(per_day.values())

        def money(amount: int, currency: str = currency) -> str:
            return _money(amount, currency)

        volumes.append(
            CurrencyFigures(
                currency=currency,
                today=last,
                total=total,
                today_display=money(last),
                total_display=money(total),
                chart=_bar_chart(
                    {day: per_day.get(day, 0) for day in days},
                    days,
                    top=nice_ceiling(max(per_day.values(), default=0)),
                    label=money,
                    title=f"Captured {currency} per day",
                ),
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
