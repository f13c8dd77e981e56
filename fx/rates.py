"""Rates as of an instant: the last fixing on or before it, crossed through EUR when needed.

A fixing of date D serves every instant of D (UTC) and after, until the next one: a Saturday or
a Sunday uses Friday's, a TARGET holiday the business day's before. A rate older than
``STALE_AFTER`` days at the instant asked is flagged ``stale``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from .arithmetic import rate_quantize, rate_text
from .errors import RateUnavailable
from .models import RateSnapshot
from .providers import RateProvider

PIVOT = "EUR"
STALE_AFTER = timedelta(days=4)
IMPORT_BATCH = 5000


@dataclass(frozen=True)
class RateAsOf:
    """1 ``base`` = ``rate`` ``quote``, as fixed on ``fixing_date`` by ``source``."""

    base: str
    quote: str
    rate: Decimal
    fixing_date: date
    source: str
    stale: bool

    def api_data(self) -> dict:
        return {
            "object": "fx_rate",
            "base": self.base,
            "quote": self.quote,
            "rate": rate_text(self.rate),
            "fixing_date": self.fixing_date.isoformat(),
            "source": self.source,
            "stale": self.stale,
        }


def _day(at: datetime | date) -> date:
    if isinstance(at, datetime):
        return at.astimezone(UTC).date()
    return at


def _latest(quote: str, day: date, source: str) -> tuple[date, Decimal] | None:
    row = (
        RateSnapshot.objects.filter(source=source, base=PIVOT, quote=quote, fixing_date__lte=day)
        .order_by("-fixing_date")
        .values_list("fixing_date", "rate")
        .first()
    )
    return row


def _legs(quotes: list[str], day: date, source: str) -> tuple[date, dict[str, Decimal]]:
    """The latest fixing date on or before ``day`` on which every one of ``quotes`` (EUR-based)
    was fixed, and those rates: each leg's latest fixing, moved back until they agree (one
    indexed lookup per leg and step; the ECB fixes all its currencies on the same days)."""
    while True:
        found = {quote: _latest(quote, day, source) for quote in quotes}
        if any(row is None for row in found.values()):
            raise RateUnavailable(
                f"No {source.upper()} rate for {'/'.join(quotes)} on or before {day.isoformat()}."
            )
        earliest = min(row[0] for row in found.values())
        if all(row[0] == earliest for row in found.values()):
            return earliest, {quote: row[1] for quote, row in found.items()}
        day = earliest


def rate_as_of(
    base: str, quote: str, at: datetime | date | None = None, *, source: str = "ecb"
) -> RateAsOf:
    """Return the rate of ``base`` in ``quote`` as of ``at`` (now by default): the last fixing
    on or before it, crossed through EUR, ``stale`` when older than ``STALE_AFTER``; raise
    ``RateUnavailable`` when there is none."""
    at = timezone.now() if at is None else at
    day = _day(at)
    if base == quote:
        return RateAsOf(base, quote, Decimal(1), day, source, False)
    legs = sorted({code for code in (base, quote) if code != PIVOT})
    fixing_date, rates = _legs(legs, day, source)
    base_in_eur = rates.get(base, Decimal(1))  # 1 EUR = base_in_eur base
    quote_in_eur = rates.get(quote, Decimal(1))
    rate = rate_quantize(quote_in_eur / base_in_eur)
    stale = day - fixing_date > STALE_AFTER
    return RateAsOf(base, quote, rate, fixing_date, source, stale)


def latest_fixing_date(*, source: str = "ecb") -> date | None:
    """Return the date of the source's latest stored fixing, or None before any."""
    row = RateSnapshot.objects.filter(source=source).order_by("-fixing_date").first()
    return row.fixing_date if row else None


def rates_import(*, provider: RateProvider, since: date | None = None) -> int:
    """Store the provider's fixings (a fixing stored already takes the provider's rate, as the
    ECB may correct one); return how many were read. One transaction: all or nothing."""
    now = timezone.now()
    count = 0
    batch: list[RateSnapshot] = []
    with transaction.atomic():
        for fixing in provider.fixings(since=since):
            batch.append(
                RateSnapshot(
                    source=provider.source,
                    base=fixing.base,
                    quote=fixing.quote,
                    rate=fixing.rate,
                    fixing_date=fixing.fixing_date,
                    fetched_at=now,
                )
            )
            if len(batch) >= IMPORT_BATCH:
                count += _store(batch)
                batch = []
        count += _store(batch)
    return count


def _store(batch: list[RateSnapshot]) -> int:
    if batch:
        RateSnapshot.objects.bulk_create(
            batch,
            update_conflicts=True,
            unique_fields=["source", "base", "quote", "fixing_date"],
            update_fields=["rate", "fetched_at"],
        )
    return len(batch)
