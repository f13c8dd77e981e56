"""The business-day calendar: weekends and the public holidays of a merchant's country."""

from __future__ import annotations

import logging
from datetime import date, timedelta
from functools import lru_cache

import holidays

logger = logging.getLogger(__name__)


@lru_cache(maxsize=256)
def _holidays(country: str, year: int) -> frozenset[date]:
    try:
        return frozenset(holidays.country_holidays(country, years=year))
    except NotImplementedError:
        logger.warning("No holiday calendar for country %s; weekends only", country)
        return frozenset()


def is_business_day(day: date, *, country: str) -> bool:
    """Return True unless ``day`` is a Saturday, a Sunday or a public holiday of ``country``."""
    return day.weekday() < 5 and day not in _holidays(country.upper(), day.year)


def business_days_after(start: date, days: int, *, country: str) -> date:
    """Return the date ``days`` business days after ``start`` (``start`` itself not counted)."""
    day = start
    remaining = days
    while remaining > 0:
        day += timedelta(days=1)
        if is_business_day(day, country=country):
            remaining -= 1
    return day
