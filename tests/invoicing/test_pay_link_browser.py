"""The pay link in headless Chromium: the invoice is paid by card through the hosted checkout.

Fails on a console error or a CSP violation anywhere on the way (an inline style or script)."""

import re

import pytest

from billing.models import Invoice
from tests.checkout.test_checkout_browser import ARGS, _fill_card, _shot
from tests.conftest import CHROMIUM
from tests.invoicing.conftest import LINES

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server, settings):
    settings.SITE_URL = live_server.url
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    problems = []
    page.on(
        "console",
        lambda msg: (
            problems.append(f"{msg.type}: {msg.text}")
            if msg.type == "error" or "Content Security Policy" in msg.text
            else None
        ),
    )
    page.on("pageerror", lambda exc: problems.append(f"pageerror: {exc}"))
    yield page
    context.close()
    assert problems == [], problems


def _open_invoice(api, customer) -> dict:
    body = {"customer": customer["id"], "currency": "EUR", "lines": LINES, "due_days": 14}
    draft = api.post("/api/v1/invoices", body, format="json").json()
    return api.post(f"/api/v1/invoices/{draft['id']}/finalize").json()


def test_the_pay_link_is_paid_by_card_and_the_invoice_is_paid(page, api, customer):
    from playwright.sync_api import expect

    invoice = _open_invoice(api, customer)
    page.goto(invoice["hosted_invoice_url"])
    expect(page.locator("#invoice-number")).to_have_text(invoice["number"])
    expect(page.locator("#amount-due")).to_have_text("€582.50")
    _shot(page, "invoice-pay-link")

    page.get_by_role("button", name="Continue to payment").click()
    expect(page.locator("#order-amount")).to_have_text("€582.50")
    _fill_card(page, "4242 4242 4242 4242")
    page.get_by_role("button", name=re.compile("^Pay")).click()
    expect(page.locator("h1")).to_have_text("Payment successful")

    page.locator("#return-link").click()
    expect(page.locator("#invoice-paid h1")).to_have_text("Invoice paid")
    _shot(page, "invoice-paid")
    paid = Invoice.objects.get(public_id=invoice["id"])
    assert (paid.status, paid.amount_paid, paid.amount_remaining) == ("paid", 58250, 0)


def test_a_part_is_paid_by_card_and_the_rest_stays_due(page, api, customer):
    from playwright.sync_api import expect

    invoice = _open_invoice(api, customer)
    page.goto(invoice["hosted_invoice_url"])
    page.get_by_label("Amount to pay now").fill("82.50")
    page.get_by_role("button", name="Continue to payment").click()
    expect(page.locator("#order-amount")).to_have_text("€82.50")
    _fill_card(page, "4242 4242 4242 4242")
    page.get_by_role("button", name=re.compile("^Pay")).click()
    expect(page.locator("h1")).to_have_text("Payment successful")

    page.locator("#return-link").click()
    expect(page.locator("#amount-remaining")).to_have_text("€500.00")
    expect(page.locator("#amount-paid")).to_have_text("€82.50")
    assert Invoice.objects.get(public_id=invoice["id"]).status == "open"
