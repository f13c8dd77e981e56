"""Layout of the demo shop's cart and the bank-transfer page at 1280 and 360 px (headless
Chromium); screenshots in test-output/screenshots/layout-*.png."""

import os
from pathlib import Path

import pytest

from tests.conftest import CHROMIUM

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(os.environ.get("TEST_OUTPUT_DIR", "test-output")) / "screenshots"


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        browser.close()


def _page(browser, width, problems):
    context = browser.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    return page


def _shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    width = page.viewport_size["width"]
    page.screenshot(path=str(SHOTS / f"layout-{name}-{width}.png"), full_page=True)


@pytest.mark.parametrize("width", [1280, 360])
def test_cart_amounts_line_up_right_under_the_total(
    browser, live_server, settings, tmp_path, width
):
    from demo.services import demo_setup

    settings.VAR_DIR = tmp_path
    demo_setup()
    problems = []
    page = _page(browser, width, problems)
    page.goto(f"{live_server.url}/demo/shop/")
    for name in ("Ceramic pour-over dripper", "Paper filters, 100 pack", "Paper filters, 100 pack"):
        page.get_by_role("button", name=f"Add {name} to the cart").click()
    _shot(page, "cart")

    rights = page.evaluate(
        "[...document.querySelectorAll('.lines .line-amount, #cart-total')]"
        ".map(e => Math.round(e.getBoundingClientRect().right))"
    )
    tops = page.evaluate(
        "[...document.querySelectorAll('.lines li')].map(li => "
        "[...li.querySelectorAll('.line-name, .line-amount')]"
        ".map(e => Math.round(e.getBoundingClientRect().top)))"
    )
    scroll = page.evaluate("document.documentElement.scrollWidth")

    assert len(rights) == 3 and len(set(rights)) == 1, rights
    if width == 1280:
        assert all(name_top == amount_top for name_top, amount_top in tops), tops
    assert scroll <= width
    assert problems == []


@pytest.mark.parametrize("width", [1280, 360])
def test_the_transfer_account_number_stays_on_one_line(
    browser, live_server, settings, order, pay, width
):
    from tests.conftest import bank_transfer

    settings.SITE_URL = live_server.url
    payment = pay(order, bank_transfer())
    problems = []
    page = _page(browser, width, problems)
    page.goto(f"{live_server.url}/checkout/{order.checkout_token}/payments/{payment.public_id}/")
    _shot(page, "transfer")

    lines = page.evaluate(
        "['#transfer-account', '#transfer-reference'].map(q => { const e = document.querySelector(q);"
        " return Math.round(e.getBoundingClientRect().height / parseFloat(getComputedStyle(e).lineHeight)); })"
    )
    scroll = page.evaluate("document.documentElement.scrollWidth")

    assert lines == [1, 1]
    assert scroll <= width
    assert problems == []
