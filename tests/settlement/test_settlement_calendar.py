"""Payout dates: the cut-off date plus 1-3 business days, skipping weekends and holidays."""

from datetime import date

import pytest

from settlement.calendar import business_days_after, is_business_day
from tests.settlement.conftest import utc


@pytest.mark.parametrize(
    ("start", "days", "country", "expected"),
    [
        (date(2026, 11, 23), 1, "US", date(2026, 11, 24)),  # Mon -> Tue
        (date(2026, 11, 20), 1, "US", date(2026, 11, 23)),  # Fri -> Mon over the weekend
        (date(2026, 11, 21), 1, "US", date(2026, 11, 23)),  # a Saturday cut-off -> Mon
        (date(2026, 11, 25), 1, "US", date(2026, 11, 27)),  # Thanksgiving (Thu 26) skipped
        (date(2026, 11, 24), 3, "US", date(2026, 11, 30)),  # Wed, (Thu), Fri, (weekend), Mon
        (date(2026, 12, 24), 1, "US", date(2026, 12, 28)),  # Christmas Fri, weekend
        (date(2026, 12, 31), 1, "US", date(2027, 1, 4)),  # New Year's Day Fri, year end
        (date(2026, 12, 30), 2, "US", date(2027, 1, 4)),  # Thu 31, (Fri 1), Mon 4
        # Boxing Day falls on a Saturday in 2026: the UK observes it on Monday the 28th.
        (date(2026, 12, 24), 1, "GB", date(2026, 12, 29)),
        (date(2026, 11, 25), 1, "GB", date(2026, 11, 26)),  # no Thanksgiving in the UK
        # Kuwait's weekend is Friday and Saturday: Thu 3 December -> Sun 6, Sat 5 -> Sun 6.
        (date(2026, 12, 3), 1, "KW", date(2026, 12, 6)),
        (date(2026, 12, 5), 1, "KW", date(2026, 12, 6)),
        (date(2026, 12, 3), 2, "KW", date(2026, 12, 7)),
        # China works Saturday 10 October 2026 after its National Day week.
        (date(2026, 10, 9), 1, "CN", date(2026, 10, 10)),
    ],
)
def test_business_days_after_skip_weekends_and_public_holidays(start, days, country, expected):
    assert business_days_after(start, days, country=country) == expected


def test_a_country_without_a_holiday_calendar_skips_weekends_only():
    assert is_business_day(date(2026, 12, 25), country="ZZ")
    assert not is_business_day(date(2026, 12, 26), country="ZZ")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("delay", "expected"),
    [(1, date(2026, 11, 27)), (2, date(2026, 11, 30)), (3, date(2026, 12, 1))],
)
def test_the_payout_date_follows_the_merchants_delay_and_country(
    merchant, capture_at, settle, delay, expected
):
    merchant.settlement_delay_days = delay
    merchant.save()
    capture_at(utc(2026, 11, 24, 12))

    (batch,) = settle(date(2026, 11, 25))  # cut-off Wednesday 25 November, 00:00 UTC

    assert batch.payout_date == batch.payout.payout_date == expected


@pytest.mark.django_db
def test_a_kuwaiti_merchant_is_paid_on_a_kuwaiti_business_day(merchant, capture_at, settle):
    merchant.country, merchant.settlement_delay_days = "KW", 1
    merchant.save()
    capture_at(utc(2026, 12, 2, 12), amount=12345, currency="KWD")

    (batch,) = settle(date(2026, 12, 3))  # cut-off Thursday 3 December, 00:00 UTC

    assert batch.payout.payout_date == date(2026, 12, 6)  # Sunday, not Friday
