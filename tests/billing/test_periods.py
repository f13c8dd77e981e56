"""Billing periods from the anchor: month ends clamp and recover, periods tile time exactly."""

import calendar
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billing.periods import INTERVALS, MAX_INTERVAL_COUNT, period_bounds, period_index_at

# Hypothesis takes naive bounds and attaches the time zone itself.
anchors = st.datetimes(
    min_value=datetime(2000, 1, 1),  # noqa: DTZ001
    max_value=datetime(2090, 12, 31),  # noqa: DTZ001
    timezones=st.just(UTC),
)
intervals = st.sampled_from(INTERVALS)


@st.composite
def plans(draw):
    interval = draw(intervals)
    return interval, draw(st.integers(1, MAX_INTERVAL_COUNT[interval]))


def _d(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_a_31_january_anchor_bills_end_of_february_then_31_march():
    anchor = _d("2026-01-31T10:00:00")

    ends = [
        period_bounds(anchor=anchor, interval="month", interval_count=1, index=i)[1]
        for i in range(4)
    ]

    assert ends == [
        _d("2026-02-28T10:00:00"),
        _d("2026-03-31T10:00:00"),
        _d("2026-04-30T10:00:00"),
        _d("2026-05-31T10:00:00"),
    ]


def test_in_a_leap_year_february_ends_on_the_29th():
    anchor = _d("2028-01-31T00:00:00")

    assert period_bounds(anchor=anchor, interval="month", interval_count=1, index=0)[1] == _d(
        "2028-02-29T00:00:00"
    )


def test_a_yearly_29_february_anchor_falls_on_28_february_then_returns():
    anchor = _d("2028-02-29T00:00:00")

    ends = [
        period_bounds(anchor=anchor, interval="year", interval_count=1, index=i)[1]
        for i in range(4)
    ]

    assert [e.day for e in ends] == [28, 28, 28, 29]


@given(anchor=anchors, plan=plans(), index=st.integers(0, 200))
def test_consecutive_periods_meet_exactly_and_move_forward(anchor, plan, index):
    interval, count = plan
    start, end = period_bounds(anchor=anchor, interval=interval, interval_count=count, index=index)
    next_start, _ = period_bounds(
        anchor=anchor, interval=interval, interval_count=count, index=index + 1
    )

    assert start < end == next_start
    assert (end.hour, end.minute, end.second, end.microsecond) == (
        anchor.hour,
        anchor.minute,
        anchor.second,
        anchor.microsecond,
    )


@given(anchor=anchors, plan=plans(), index=st.integers(0, 200))
def test_a_monthly_or_yearly_boundary_is_the_anchor_day_or_the_months_last(anchor, plan, index):
    interval, count = plan
    if interval in ("day", "week"):
        _, end = period_bounds(anchor=anchor, interval=interval, interval_count=count, index=index)
        step = timedelta(days=1 if interval == "day" else 7) * count
        assert end - anchor == step * (index + 1)
        return
    _, end = period_bounds(anchor=anchor, interval=interval, interval_count=count, index=index)
    months = count * (index + 1) * (12 if interval == "year" else 1)

    assert (end.year * 12 + end.month) - (anchor.year * 12 + anchor.month) == months
    assert end.day == min(anchor.day, calendar.monthrange(end.year, end.month)[1])


@given(anchor=anchors, plan=plans(), offset=st.timedeltas(timedelta(0), timedelta(days=3650)))
def test_every_moment_after_the_anchor_is_in_exactly_the_period_found(anchor, plan, offset):
    interval, count = plan
    moment = anchor + offset

    index = period_index_at(anchor=anchor, interval=interval, interval_count=count, moment=moment)
    start, end = period_bounds(anchor=anchor, interval=interval, interval_count=count, index=index)

    assert start <= moment < end


def test_periods_before_the_anchor_or_of_no_length_are_refused():
    anchor = _d("2026-01-31T00:00:00")

    with pytest.raises(ValueError):
        period_bounds(anchor=anchor, interval="month", interval_count=0, index=0)
    with pytest.raises(ValueError):
        period_index_at(
            anchor=anchor, interval="month", interval_count=1, moment=anchor - timedelta(1)
        )
