"""Billing periods: where each period of a subscription starts and ends. Pure functions.

Every boundary is computed from the billing cycle anchor, never from the previous boundary, so a
month-end anchor keeps its day: anchored on 31 January, periods end on 28 (29) February, then
31 March, 30 April, 31 May. A boundary keeps the anchor's time of day and time zone.
"""

from __future__ import annotations

import calendar
from datetime import datetime, timedelta

INTERVALS = ("day", "week", "month", "year")

#: The longest period of each interval, in intervals: a period is at most about a year.
MAX_INTERVAL_COUNT = {"day": 365, "week": 52, "month": 12, "year": 1}


def boundary(*, anchor: datetime, interval: str, count: int) -> datetime:
    """Return the anchor moved ``count`` intervals on; a month-end day is clamped to the month."""
    if interval == "day":
        return anchor + timedelta(days=count)
    if interval == "week":
        return anchor + timedelta(weeks=count)
    if interval not in ("month", "year"):
        raise ValueError(f"unknown interval {interval!r}")
    months = count if interval == "month" else 12 * count
    year, month_index = divmod(anchor.month - 1 + months, 12)
    year += anchor.year
    month = month_index + 1
    day = min(anchor.day, calendar.monthrange(year, month)[1])
    return anchor.replace(year=year, month=month, day=day)


def period_bounds(
    *, anchor: datetime, interval: str, interval_count: int, index: int
) -> tuple[datetime, datetime]:
    """Return the start and end of period ``index`` (0 is the one starting at the anchor)."""
    if index < 0 or interval_count < 1:
        raise ValueError("periods are counted from 0, each of at least one interval")
    start = boundary(anchor=anchor, interval=interval, count=interval_count * index)
    end = boundary(anchor=anchor, interval=interval, count=interval_count * (index + 1))
    return start, end


def period_index_at(
    *, anchor: datetime, interval: str, interval_count: int, moment: datetime
) -> int:
    """Return the index of the period that contains ``moment`` (at or after the anchor)."""
    if moment < anchor:
        raise ValueError("the moment is before the anchor")
    # An estimate from the average length, then corrected: at most a few steps either way.
    days = {"day": 1, "week": 7, "month": 30.436875, "year": 365.2425}[interval] * interval_count
    index = max(0, int((moment - anchor) / timedelta(days=days)) - 1)
    while True:
        start, end = period_bounds(
            anchor=anchor, interval=interval, interval_count=interval_count, index=index
        )
        if moment < start:
            index -= 1
        elif moment >= end:
            index += 1
        else:
            return index
