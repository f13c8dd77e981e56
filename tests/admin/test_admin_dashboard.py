"""The dashboard's figures equal sums computed independently, scoped to the user's merchants."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from payments.money import format_amount
from payments.services import refund_create
from tests.conftest import NO_FUNDS, VISA, card


@pytest.fixture
def activity(make_order, pay, merchant, other_merchant, django_capture_on_commit_callbacks):
    """Three days of payments for the merchant (USD and EUR), one decline, one refund."""
    # Noon of yesterday: always in the past, so the staff session signed in now is still fresh
    # when the test travels there (noon of today would be hours ahead before midday).
    start = (timezone.now() - timedelta(days=1)).replace(hour=12, minute=0, second=0, microsecond=0)
    with time_machine.travel(start - timedelta(days=2), tick=False) as clock:
        for amount in (1500, 2500):
            pay(make_order(amount=amount), card(VISA))
            clock.shift(timedelta(days=1))
        today = [pay(make_order(amount=a), card(VISA)) for a in (700, 800)]
        pay(make_order(amount=900), card(NO_FUNDS))
        pay(make_order(amount=5000, currency="EUR"), card(VISA))
        pay(make_order(merchant=other_merchant, amount=99900), card(VISA))
        with django_capture_on_commit_callbacks(execute=True):
            refund_create(merchant=merchant, payment_id=today[0].public_id, amount=200)
    return start


def test_dashboard_figures_equal_independent_sums(login, manager, activity):
    client = login(manager)
    with time_machine.travel(activity, tick=False):
        response = client.get(reverse("admin:index"))
    page = response.content.decode()
    d = response.context["dashboard"]

    usd = next(v for v in d.volumes if v.currency == "USD")
    # Captured: 1500 + 2500 (earlier days) + 700 + 800 (today); the other merchant is excluded.
    assert (usd.today, usd.total) == (1500, 1500 + 2500 + 1500)
    assert format_amount(5500, "USD") in page and format_amount(1500, "USD") in page
    assert [v.currency for v in d.volumes] == ["EUR", "USD"]
    assert format_amount(99900, "USD") not in page
    # 5 approved of 6 finished payments.
    assert (d.approved, d.finished) == (5, 6)
    assert re.search(r'id="approval-rate">83%<', page)
    assert d.declines == [("insufficient_funds", 1)]
    assert d.refunds == [("USD", 1, 200, format_amount(200, "USD"))]
    # Pending settlement: captured less refunded, per currency.
    assert ("USD", 5500 - 200, format_amount(5300, "USD")) in d.pending_settlement
    assert sum(b.amount for b in usd.bars) == usd.total
    # 7 days x 2 currencies, server-rendered SVG; the approval chart's bars besides.
    assert page.count('class="bar"') == 14 + 7
    assert "<script" not in page.split('id="dashboard"')[1].split("</section>")[0]


def test_platform_dashboard_includes_every_merchant(login, platform_user, activity):
    client = login(platform_user)
    with time_machine.travel(activity, tick=False):
        d = client.get(reverse("admin:index")).context["dashboard"]

    usd = next(v for v in d.volumes if v.currency == "USD")
    assert usd.today == 1500 + 99900
    assert (d.approved, d.finished) == (6, 7)


def test_merchant_staff_dashboard_shows_nothing_of_the_platforms_reconciliation(
    login, manager, platform_user
):
    """A reconciliation run covers every merchant: its differences are platform staff's business
    (merchant staff hold no permission on the runs)."""
    from django.test import Client

    from settlement.models import ReconciliationRun

    run = ReconciliationRun.objects.create(ok=False, differences=[{"payment": "pay_x"}] * 3)

    merchant_page = login(manager).get(reverse("admin:index")).content.decode()
    platform_page = login(platform_user, the_client=Client()).get(reverse("admin:index"))

    assert "3 differences" not in merchant_page and "Last reconciliation" not in merchant_page
    assert str(run) in platform_page.content.decode()


def test_live_and_test_payments_are_never_added_together(
    login, manager, merchant, make_order, pay, live_institution
):
    merchant.live_enabled = True
    merchant.save(update_fields=["live_enabled"])
    pay(make_order(amount=1200), card(VISA))
    live = pay(make_order(amount=3400, livemode=True), card(VISA))
    assert (live.livemode, live.status) == (True, "captured"), live.decline_code
    client = login(manager)

    default = client.get(reverse("admin:index"))
    test = client.get(reverse("admin:index"), {"mode": "test"})
    nonsense = client.get(reverse("admin:index"), {"mode": "both"})

    def usd_week(response):
        return next(v.total for v in response.context["dashboard"].volumes if v.currency == "USD")

    assert usd_week(default) == 3400  # a merchant taking live payments sees live figures first
    assert "Figures of <strong>live mode</strong>" in default.content.decode()
    assert 'href="?mode=test"' in default.content.decode()
    assert usd_week(test) == 1200
    assert "Figures of <strong>test mode</strong>" in test.content.decode()
    assert usd_week(nonsense) == 3400


def test_a_merchant_not_yet_live_sees_its_test_figures(login, manager, make_order, pay):
    pay(make_order(amount=1200), card(VISA))

    response = login(manager).get(reverse("admin:index"))

    assert [v.total for v in response.context["dashboard"].volumes] == [1200]
    assert 'href="?mode=live"' in response.content.decode()


def test_charts_show_approval_per_day_declines_by_reason_with_axes_and_values(
    login, manager, activity
):
    client = login(manager)
    with time_machine.travel(activity, tick=False):
        response = client.get(reverse("admin:index"))
    d, page = response.context["dashboard"], response.content.decode()

    rates = {b.day: b.amount for b in d.approval_chart.bars if b.label != "no payments"}
    today = timezone.localtime(activity).date()
    # Today: 700, 800 and EUR 5000 approved, 900 declined; the two days before: one of one.
    assert rates == {today - timedelta(days=2): 100, today - timedelta(days=1): 100, today: 75}
    assert [t.label for t in d.approval_chart.ticks] == ["0%", "50%", "100%"]
    usd = next(v for v in d.volumes if v.currency == "USD")
    assert [t.label for t in usd.chart.ticks] == ["$0.00", "$12.50", "$25.00"]
    chart = page.split('id="chart-declines"')[1].split("</figure>")[0]
    assert ">insufficient_funds</text>" in chart and '<text class="value"' in chart
    assert ">75%</text>" in page.split('id="chart-approval"')[1].split("</figure>")[0]


def test_a_date_range_picks_the_days_of_every_figure(login, manager, activity):
    client = login(manager)
    today = timezone.localtime(activity).date()
    yesterday = (today - timedelta(days=1)).isoformat()
    with time_machine.travel(activity, tick=False):
        one_day = client.get(reverse("admin:index"), {"from": yesterday, "to": yesterday})
        month = client.get(reverse("admin:index"), {"days": "30", "mode": "test"})
    d = one_day.context["dashboard"]

    usd = next(v for v in d.volumes if v.currency == "USD")
    assert (usd.total, len(usd.bars)) == (2500, 1)
    assert (d.approved, d.finished) == (1, 1)
    assert d.declines == []
    assert len(month.context["dashboard"].approval_chart.bars) == 30
    # The mode switch keeps the range; the range's presets keep the mode.
    assert f'href="?mode=live&amp;from={yesterday}&amp;to={yesterday}"' in one_day.content.decode()
    assert 'href="?mode=test&amp;days=90"' in month.content.decode()


@pytest.mark.parametrize(
    "query",
    [
        {"from": "2026-13-40"},
        {"from": "yesterday"},
        {"days": "0"},
        {"days": "9" * 400},
        {"days": "-3"},
        {"days": "3\x00"},
        {"from": "2026-11-30\x00"},
        {"from": "2026-11-30", "to": "2026-11-01"},
        {"from": "2000-01-01", "to": "2026-01-01"},
        {"days": "٣"},
    ],
)
def test_a_range_that_cannot_be_taken_shows_the_last_7_days_and_says_why(login, manager, query):
    response = login(manager).get(reverse("admin:index"), query)

    assert response.status_code == 200
    assert 'id="range-problem"' in response.content.decode()
    assert len(response.context["dashboard"].period.days) == 7


def test_the_mode_switch_is_visible_and_explained(login, manager):
    page = login(manager).get(reverse("admin:index")).content.decode()

    assert (
        '<a href="?mode=test" id="mode-test" class="segment segment-test" aria-current="page">'
        in page
    )
    assert 'id="mode-live"' in page and "never added together" in page
    assert "<code>?mode=live</code>" in page
