"""The read side the dashboard calls: upcoming payouts, unsettled money, the last reconciliation."""

from datetime import date

import pytest

from settlement.models import Payout
from settlement.selectors import payouts_upcoming, reconciliation_last, unsettled_totals
from settlement.services import payouts_pay_due, reconciliation_run
from tests.settlement.conftest import utc

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_payouts(merchant, capture_at, settle):
    """Payouts of the batches of 2026-11-24 and 2026-11-25 (Tuesday, Wednesday)."""
    capture_at(utc(2026, 11, 23, 12), amount=1000)
    settle(date(2026, 11, 24))
    capture_at(utc(2026, 11, 24, 12), amount=2000)
    settle(date(2026, 11, 25))
    return list(Payout.objects.order_by("payout_date"))


def test_upcoming_payouts_are_the_scheduled_ones_from_today_on_earliest_first(two_payouts):
    first, second = two_payouts
    today = date(2026, 11, 24)

    assert payouts_upcoming(merchant_ids=None, livemode=False, today=today) == [first, second]
    payouts_pay_due(today=first.payout_date)
    assert payouts_upcoming(merchant_ids=None, livemode=False, today=today) == [second]
    assert payouts_upcoming(merchant_ids=None, livemode=False, today=today, limit=0) == []


def test_upcoming_payouts_are_of_the_given_merchants_and_mode_only(
    two_payouts, merchant, other_merchant
):
    today = date(2026, 11, 24)

    assert len(payouts_upcoming(merchant_ids=[merchant.pk], livemode=False, today=today)) == 2
    assert payouts_upcoming(merchant_ids=[other_merchant.pk], livemode=False, today=today) == []
    assert payouts_upcoming(merchant_ids=[], livemode=False, today=today) == []
    assert payouts_upcoming(merchant_ids=None, livemode=True, today=today) == []


def test_unsettled_money_is_what_is_captured_in_no_batch_net_of_refunds(
    merchant, capture_at, refund_at, settle
):
    capture_at(utc(2026, 11, 23, 12), amount=1000)
    settle(date(2026, 11, 24))
    pending = capture_at(utc(2026, 11, 24, 12), amount=2000)
    refund_at(pending, utc(2026, 11, 24, 13), amount=500)

    assert unsettled_totals(merchant_ids=[merchant.pk], livemode=False) == [("USD", 1500)]
    assert unsettled_totals(merchant_ids=None, livemode=True) == []


def test_the_last_reconciliation_is_the_latest_run():
    assert reconciliation_last() is None
    reconciliation_run()
    latest = reconciliation_run()

    assert reconciliation_last() == latest
