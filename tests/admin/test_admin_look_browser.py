"""The back office as merchants see it, in headless Chromium at 1280×800 and 390×844: the grouped
menu, the dashboard's charts, badges in the lists, the order page's timeline and the refund form;
axe-core finds no serious or critical violation on the sign-in page, the dashboard, a list, an
order page and the refund form. Screenshots go to test-output/screens/admin-*.png."""

import os
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.utils import timezone

from tests.admin.conftest import PASSWORD, totp_now
from tests.conftest import CHROMIUM, NO_FUNDS, PROCESSING_ERROR, card

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

SCREENS = Path(os.environ.get("TEST_OUTPUT_DIR", "test-output")) / "screens"
SIZES = {"desktop": (1280, 800), "phone": (390, 844)}
BLOCKING = {"serious", "critical"}


@pytest.fixture
def trading_merchant(make_order, pay, merchant):
    """A merchant with captured payments and declines over the last days."""
    now = timezone.now()
    captured = None
    for days, amount in ((0, 4200), (1, 1999), (3, 12500)):
        with time_machine.travel(now - timedelta(days=days), tick=False):
            payment = pay(make_order(amount=amount, reference=f"WEB-{days}-{amount}"))
            captured = captured or payment
    with time_machine.travel(now - timedelta(days=1), tick=False):
        pay(make_order(reference="WEB-DECLINED-1"), card(NO_FUNDS))
        pay(make_order(reference="WEB-DECLINED-2"), card(PROCESSING_ERROR))
    return captured


def _axe_blocking(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in BLOCKING
    ]


def _shoot(page, name: str) -> None:
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / f"admin-{name}.png"), full_page=True)


def _sign_in(page, base: str, user) -> None:
    page.goto(f"{base}/admin/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.fill("#id_otp_token", totp_now(user))
    page.click("#login-form input[type=submit]")
    page.wait_for_selector("#dashboard")


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM)
        yield browser
        browser.close()


def _pages(base: str, payment) -> dict[str, str]:
    return {
        "dashboard": f"{base}/admin/",
        "list": f"{base}/admin/payments/order/",
        "order": f"{base}/admin/payments/order/{payment.order_id}/change/",
        "refund": f"{base}/admin/payments/payment/{payment.pk}/refund/",
    }


def test_no_serious_accessibility_violation_and_screens_at_both_sizes(
    live_server, manager, trading_merchant, browser
):
    found, cookies = {}, []
    with time_machine.travel(timezone.now(), tick=True):
        for size, (width, height) in SIZES.items():
            context = browser.new_context(viewport={"width": width, "height": height})
            page = context.new_page()
            page.goto(f"{live_server.url}/admin/login/")
            found[f"login-{size}"] = _axe_blocking(page)
            _shoot(page, f"login-{size}")
            if size == "desktop":
                _sign_in(page, live_server.url, manager)
            else:
                context.add_cookies(cookies)
            for name, url in _pages(live_server.url, trading_merchant).items():
                page.goto(url)
                found[f"{name}-{size}"] = _axe_blocking(page)
                _shoot(page, f"{name}-{size}")
            cookies = context.cookies()
            context.close()

    assert {page: v for page, v in found.items() if v} == {}
    assert all(
        (SCREENS / f"admin-{n}-{s}.png").exists()
        for n in _pages("", trading_merchant)
        for s in SIZES
    )
