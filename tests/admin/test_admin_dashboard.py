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
    assert (usd.today, usd.week) == (1500, 1500 + 2500 + 1500)
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
    assert sum(b.amount for b in usd.bars) == usd.week
    assert page.count('class="bar"') == 14  # 7 days x 2 currencies, server-rendered SVG
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
        return next(v.week for v in response.context["dashboard"].volumes if v.currency == "USD")

    assert usd_week(default) == 3400  # a merchant taking live payments sees live figures first
    assert "Figures of <strong>live mode</strong>" in default.content.decode()
    assert 'href="?mode=test"' in default.content.decode()
    assert usd_week(test) == 1200
    assert "Figures of <strong>test mode</strong>" in test.content.decode()
    assert usd_week(nonsense) == 3400


def test_a_merchant_not_yet_live_sees_its_test_figures(login, manager, make_order, pay):
    pay(make_order(amount=1200), card(VISA))

    response = login(manager).get(reverse("admin:index"))

    assert [v.week for v in response.context["dashboard"].volumes] == [1200]
    assert 'href="?mode=live"' in response.content.decode()
