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
# The elements that reach past the right edge of the window (what makes a page scroll sideways).
WIDEST = """(() => {
  const out = [], walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walk.nextNode()) {
    const range = document.createRange(); range.selectNodeContents(walk.currentNode);
    const right = range.getBoundingClientRect().right;
    if (right > window.innerWidth) out.push(walk.currentNode.parentElement.tagName + '.'
      + walk.currentNode.parentElement.className + ': ' + walk.currentNode.textContent.slice(0, 40));
  }
  return out.slice(0, 5);
})()"""


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


def test_merchant_staff_work_the_back_office_in_chromium_at_both_sizes(
    live_server, manager, trading_merchant, browser
):
    """The menu, the dashboard's width, switch and range, badges and right-aligned amounts, the
    order page's Refund button and the refund form's amount and confirmation, on a desktop and
    on a phone; nothing is loaded from another origin and no page scrolls sideways."""
    base = live_server.url
    pages = _pages(base, trading_merchant)
    requests = []
    with time_machine.travel(timezone.now(), tick=True):
        desktop = browser.new_context(viewport={"width": 1280, "height": 800})
        page = desktop.new_page()
        page.on("request", lambda r: requests.append(r.url))
        _sign_in(page, base, manager)

        # The menu stands beside the page, grouped by work, without the platform's tools.
        groups = page.locator("#mp-nav .mp-nav-title").all_text_contents()
        assert groups[:3] == ["Orders", "Payments", "Refunds"] and "Operations" not in groups
        assert page.locator("#mp-nav a", has_text="Webhook endpoints").is_visible()

        # Dashboard: KPIs across the content's width, charts with ticks and values, the switch.
        content = page.locator("#content").bounding_box()
        kpis = page.locator("#kpis").bounding_box()
        assert kpis["width"] > 0.9 * (content["width"] - 48)
        assert page.locator("#kpis .kpi").first.bounding_box()["y"] == kpis["y"]
        volume = page.locator("#chart-volume-USD svg")
        assert volume.locator("text.tick").count() == 3
        assert "$125.00" in volume.locator("text.value").all_text_contents()
        assert page.locator("#chart-approval text.value").count() >= 2
        assert page.locator("#chart-declines text.reason").all_text_contents() == [
            "insufficient_funds",
            "processing_error",
        ]
        assert page.locator("#mode-test[aria-current=page]").is_visible()
        page.click("#dash-range a:has-text('30 days')")
        assert "days=30" in page.url and "30 days" in page.inner_text("#dash-period")
        assert page.locator("#chart-approval rect.bar").count() == 30
        page.click("#mode-live")
        assert "mode=live" in page.url and "days=30" in page.url
        assert "live mode" in page.inner_text("#dash-mode")

        # A list: badges, the mode, amounts right-aligned.
        page.goto(pages["list"])
        assert page.locator("#result_list .badge-success").first.is_visible()
        assert page.locator("#result_list .badge-test").count() == 5
        align = page.eval_on_selector(
            "#result_list td.field-amount_display", "e => getComputedStyle(e).textAlign"
        )
        assert align == "right"

        # The order page: the Refund button in the first screen, the timeline.
        page.goto(pages["order"])
        button = page.locator("#order-refund")
        assert button.is_visible() and button.bounding_box()["y"] < 800
        assert page.locator("#events .timeline-item").count() >= 4
        assert page.inner_text("#order-summary").count("UTC") >= 2

        # The refund form: what will be refunded, as it is typed; a refused code is not shown.
        button.click()
        page.wait_for_selector("#refund-form")
        assert page.inner_text("#refund-preview") == "$42.00"
        assert "everything refundable" in page.inner_text("#refund-preview-note")
        page.fill("#id_amount", "2.5")
        assert page.inner_text("#refund-preview") == "$2.50"
        assert page.get_attribute("#refund-form input[type=submit]", "value") == "Refund $2.50"
        page.fill("#id_amount", "99")
        assert "it will be refused" in page.inner_text("#refund-preview-note")
        page.fill("#id_amount", "2.50")
        page.fill("#id_reason", "Wrong size")
        page.fill("#id_otp_token", "135791")
        page.click("#refund-form input[type=submit]")
        assert page.evaluate("document.getElementById('id_confirm').validity.valueMissing")
        page.check("#id_confirm")
        page.click("#refund-form input[type=submit]")
        page.wait_for_selector("#refund-form .errornote")
        assert page.input_value("#id_otp_token") == ""
        assert page.input_value("#id_amount") == "2.50"
        assert page.inner_text("#refund-preview") == "$2.50"
        cookies = desktop.cookies()
        desktop.close()

        phone = browser.new_context(viewport={"width": 390, "height": 844})
        phone.add_cookies(cookies)
        page = phone.new_page()
        page.on("request", lambda r: requests.append(r.url))
        for name, url in pages.items():
            page.goto(url)
            wide = page.evaluate("document.scrollingElement.scrollWidth > window.innerWidth")
            assert not wide, (name, page.evaluate(WIDEST))
        # On a phone the menu is a disclosure above the page, closed until asked for.
        assert not page.evaluate("document.getElementById('mp-nav-menu').open")
        page.click("#mp-nav summary")
        assert page.locator("#mp-nav a", has_text="Orders").first.is_visible()
        page.goto(pages["list"])
        first_columns = page.locator("#result_list thead th:visible").all_text_contents()[:4]
        assert [c.strip().lower() for c in first_columns] == ["order", "amount", "status", "mode"]
        phone.close()

    assert requests and [u for u in requests if not u.startswith(base)] == []
