"""The business-day calendar: the weekends and public holidays of a merchant's country.

A country's weekend is its own (Friday and Saturday in Kuwait, Saudi Arabia or Israel), and a
weekend day a country works to make up for a bridge holiday (China, Vietnam) is a business day.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

import holidays

logger = logging.getLogger(__name__)

#: Saturday and Sunday: the weekend of a country without a calendar.
DEFAULT_WEEKEND = frozenset({5, 6})


@dataclass(frozen=True)
class _Year:
    holidays: frozenset[date]
    weekend: frozenset[int]  # weekday numbers, Monday 0
    weekend_workdays: frozenset[date]


@lru_cache(maxsize=256)
def _year(country: str, year: int) -> _Year:
    try:
        calendar = holidays.country_holidays(country, years=year)
    except NotImplementedError:
        logger.warning("No holiday calendar for country %s; Saturday and Sunday only", country)
        return _Year(frozenset(), DEFAULT_WEEKEND, frozenset())
    return _Year(
        frozenset(calendar),
        frozenset(calendar.weekend),
        frozenset(day for day in calendar.weekend_workdays if day.year == year),
    )


def is_business_day(day: date, *, country: str) -> bool:
    """Return True unless ``day`` is a weekend day (not worked) or a public holiday of
    ``country``."""
    year = _year(country.upper(), day.year)
    if day in year.holidays:
        return False
    return day.weekday() not in year.weekend or day in year.weekend_workdays


def business_days_after(start: date, days: int, *, country: str) -> date:
    """Return the date ``days`` business days after ``start`` (``start`` itself not counted)."""
    day = start
    remaining = days
    while remaining > 0:
        day += timedelta(days=1)
        if is_business_day(day, country=country):
            remaining -= 1
    return day
