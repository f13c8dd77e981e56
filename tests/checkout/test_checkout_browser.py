"""The hosted checkout in headless Chromium against the live server.

Every test fails on a console error or a CSP violation, so an inline script or style, a broken
asset or a JS error anywhere on the way is caught.
"""

import os
import re
from pathlib import Path

import pytest

from payments.models import Order, Payment, PaymentAttempt
from payments.services import bank_transfer_simulate
from tests.conftest import CHROMIUM, NO_FUNDS, OTP_CARD, VISA

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(os.environ.get("TEST_OUTPUT_DIR", "test-output")) / "screenshots"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def problems():
    return []


@pytest.fixture
def page(browser, live_server, settings, problems):
    settings.SITE_URL = live_server.url
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
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


@pytest.fixture
def open_checkout(page, live_server):
    def go(order):
        page.goto(f"{live_server.url}/checkout/{order.checkout_token}/")
        return page

    return go


def _fill_card(page, number, exp="12 / 35", cvc="123", name="Ada Lovelace"):
    page.get_by_label("Card number").fill(number)
    page.get_by_label("Expiry (MM / YY)").fill(exp)
    page.get_by_label("Security code").fill(cvc)
    page.get_by_label("Name on card").fill(name)


def _heading(page):
    return page.locator("h1")


def _to_the_code_page(open_checkout, order, number=OTP_CARD):
    """Pay ``order`` with a card that asks for a code; return the code page and the payment."""
    from playwright.sync_api import expect

    page = open_checkout(order)
    _fill_card(page, number)
    page.get_by_role("button", name=re.compile("^Pay")).click()
    expect(_heading(page)).to_have_text("Confirm it's you")
    return page, Payment.objects.get(order=order)


def _shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _read_code_from_inbox(page) -> str:
    page.get_by_role("link", name="read the code in the sandbox inbox").click()
    text = page.locator("#inbox li .body").first.inner_text()
    code = re.search(r"\b(\d{6})\b", text).group(1)
    page.get_by_role("link", name="Back to the payment").click()
    return code


def test_a_visa_card_pays_and_reaches_the_success_page(open_checkout, make_order):
    from playwright.sync_api import expect

    order = make_order(amount=2450, description="Espresso blend, 1 kg")
    page = open_checkout(order)
    expect(page.locator("#order-amount")).to_have_text("$24.50")
    _fill_card(page, "4242 4242 4242 4242")
    expect(page.locator("#number-brand")).to_have_text("Visa")
    _shot(page, "checkout")

    page.get_by_role("button", name="Pay $24.50").click()

    expect(_heading(page)).to_have_text("Payment successful")
    expect(page.locator("#paid-with")).to_have_text("Visa •••• 4242")
    _shot(page, "success")
    assert "4242424242424242" not in page.content() and "4242 4242 4242 4242" not in page.content()
    order.refresh_from_db()
    assert order.status == Order.Status.PAID


def test_the_shopper_can_stop_the_automatic_return_to_the_merchant(open_checkout, make_order):
    """A timed redirect must be possible to turn off (WCAG 2.2.1): reading the payment id or
    the reference with a screen reader takes longer than eight seconds."""
    from playwright.sync_api import expect

    page = open_checkout(make_order(return_url="https://shop.example/back"))
    _fill_card(page, VISA)
    page.get_by_role("button", name=re.compile("^Pay")).click()
    expect(_heading(page)).to_have_text("Payment successful")

    page.get_by_role("button", name="Stay on this page").click()
    page.wait_for_timeout(9_000)

    expect(_heading(page)).to_have_text("Payment successful")


def test_an_otp_card_is_confirmed_with_the_code_from_the_sandbox_inbox(open_checkout, order):
    from playwright.sync_api import expect

    page, _ = _to_the_code_page(open_checkout, order, number="4000 0000 0000 3220")
    expect(page.locator("#code-help")).to_have_text("3 tries left.")
    _shot(page, "otp")

    code = _read_code_from_inbox(page)
    page.get_by_label("Verification code").fill(code)
    page.get_by_role("button", name="Confirm payment").click()

    expect(_heading(page)).to_have_text("Payment successful")
    order.refresh_from_db()
    assert order.status == Order.Status.PAID


@pytest.mark.parametrize("separator", [" ", "-"])
def test_a_code_pasted_in_two_groups_is_accepted(open_checkout, order, sandbox_otp_code, separator):
    """Codes are often copied as "123 456": the server accepts a space or a dash, so the page
    must neither cut the paste at six characters nor refuse it before sending."""
    from playwright.sync_api import expect

    page, payment = _to_the_code_page(open_checkout, order)
    code = sandbox_otp_code(payment)

    page.get_by_label("Verification code").focus()
    page.keyboard.insert_text(code[:3] + separator + code[3:])
    page.get_by_role("button", name="Confirm payment").click()

    expect(_heading(page)).to_have_text("Payment successful")


def test_confirm_is_sent_on_the_first_click_under_a_message_about_the_code(
    open_checkout, order, sandbox_otp_code
):
    """Leaving the code field used to clear the server's message under it, so the button moved
    up under the pointer between press and release and the click was lost."""
    from django.utils import timezone
    from playwright.sync_api import expect

    from payments.models import OtpChallenge

    page, payment = _to_the_code_page(open_checkout, order)
    code = sandbox_otp_code(payment)
    OtpChallenge.objects.filter(payment__order=order).update(valid_until=timezone.now())
    page.reload()
    expect(page.locator("#code-err")).to_have_text("This code has expired; send a new one.")

    page.get_by_label("Verification code").fill(code)
    page.get_by_role("button", name="Confirm payment").click()

    expect(page).to_have_url(re.compile("/verify$"))
    expect(page.locator("#code-err")).to_have_text("This code has expired; request a new one.")


def test_three_wrong_codes_decline_the_payment(open_checkout, order, sandbox_otp_code):
    from playwright.sync_api import expect

    page, payment = _to_the_code_page(open_checkout, order)
    wrong = "000000" if sandbox_otp_code(payment) != "000000" else "111111"

    for left in ("2 tries left", "1 try left"):
        page.get_by_label("Verification code").fill(wrong)
        page.get_by_role("button", name="Confirm payment").click()
        expect(page.locator("#code-err")).to_contain_text(left)
    page.get_by_label("Verification code").fill(wrong)
    page.get_by_role("button", name="Confirm payment").click()

    expect(_heading(page)).to_have_text("Payment declined")
    expect(page.locator("#decline-reason")).to_contain_text("verification code was not confirmed")


def test_back_after_paying_past_a_wrong_code_shows_the_payment_not_a_resubmit_error(
    open_checkout, order, sandbox_otp_code
):
    """The wrong-code answer is a POST response: without care, Back from the success page
    lands on Chromium's "Confirm Form Resubmission" (ERR_CACHE_MISS) page."""
    from playwright.sync_api import expect

    page, payment = _to_the_code_page(open_checkout, order)
    right = sandbox_otp_code(payment)
    page.get_by_label("Verification code").fill("000000" if right != "000000" else "111111")
    page.get_by_role("button", name="Confirm payment").click()
    expect(page.locator("#code-err")).to_contain_text("2 tries left")
    page.get_by_label("Verification code").fill(right)
    page.get_by_role("button", name="Confirm payment").click()
    expect(_heading(page)).to_have_text("Payment successful")

    page.go_back()

    expect(_heading(page)).to_have_text("Payment successful")


def test_insufficient_funds_then_another_card_pays_the_same_order(open_checkout, order):
    from playwright.sync_api import expect

    page = open_checkout(order)
    _fill_card(page, "4000 0000 0000 9995")
    page.get_by_role("button", name=re.compile("^Pay")).click()
    expect(_heading(page)).to_have_text("Payment declined")
    expect(page.locator("#decline-reason")).to_contain_text("not enough funds")

    page.get_by_role("link", name="Try another payment method").click()
    _fill_card(page, VISA)
    page.get_by_role("button", name=re.compile("^Pay")).click()

    expect(_heading(page)).to_have_text("Payment successful")
    statuses = list(order.payments.order_by("id").values_list("status", "decline_code"))
    assert statuses == [("declined", "insufficient_funds"), ("captured", "")]
    assert NO_FUNDS not in page.content()


def test_a_luhn_invalid_number_is_stopped_in_the_browser(open_checkout, order):
    from playwright.sync_api import expect

    page = open_checkout(order)
    posts = []
    page.on(
        "request", lambda request: posts.append(request.url) if request.method == "POST" else None
    )
    _fill_card(page, "4242 4242 4242 4241")

    page.get_by_role("button", name=re.compile("^Pay")).click()

    expect(page.locator("#number-err")).to_have_text("Your card number is invalid.")
    expect(page.get_by_label("Card number")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Card number")).to_be_focused()
    assert posts == []
    assert Payment.objects.count() == 0 and PaymentAttempt.objects.count() == 0


def test_an_expiry_typed_with_a_four_digit_year_is_kept_not_cut_to_an_expired_date(
    open_checkout, order
):
    """ "12/2035" typed key by key used to be cut to "12 / 20" and answered "Your card has
    expired." for a card valid until 2035."""
    from playwright.sync_api import expect

    page = open_checkout(order)
    _fill_card(page, VISA)
    expiry = page.get_by_label("Expiry (MM / YY)")
    expiry.fill("")
    expiry.press_sequentially("12/2035")

    expect(expiry).to_have_value("12 / 2035")
    page.get_by_role("button", name=re.compile("^Pay")).click()

    expect(_heading(page)).to_have_text("Payment successful")


def test_a_bank_transfer_completes_with_the_sandbox_button(open_checkout, order):
    from playwright.sync_api import expect

    page = open_checkout(order)
    page.get_by_role("radio", name="Bank transfer").check()
    page.get_by_role("button", name="Get transfer details").click()
    expect(_heading(page)).to_have_text("Transfer $10.00 to pay")
    payment = Payment.objects.get(order=order)
    expect(page.locator("#transfer-reference")).to_have_text(payment.transfer["reference"])

    page.get_by_role("button", name="Simulate the transfer").click()

    expect(_heading(page)).to_have_text("Payment successful")
    expect(page.locator("#paid-with")).to_have_text("Bank transfer")


def _pay_by_transfer_and_send_the_money(page, order):
    """Choose bank transfer, reach the instructions page, then have the money arrive."""
    from playwright.sync_api import expect

    page.get_by_role("radio", name="Bank transfer").check()
    page.get_by_role("button", name="Get transfer details").click()
    expect(_heading(page)).to_have_text("Transfer $10.00 to pay")
    transfer = Payment.objects.get(order=order).transfer
    bank_transfer_simulate(transfer_reference=transfer["reference"], amount=transfer["amount"])


def test_the_transfer_page_updates_by_itself_when_the_money_arrives(open_checkout, order):
    from playwright.sync_api import expect

    page = open_checkout(order)
    _pay_by_transfer_and_send_the_money(page, order)

    expect(_heading(page)).to_have_text("Payment successful", timeout=20_000)


def test_without_javascript_the_transfer_page_still_updates_when_the_money_arrives(
    browser, live_server, settings, order
):
    """The page promises to update by itself; with scripts off it must keep that promise."""
    from playwright.sync_api import expect

    settings.SITE_URL = live_server.url
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server.url}/checkout/{order.checkout_token}/")
    _pay_by_transfer_and_send_the_money(page, order)

    expect(_heading(page)).to_have_text("Payment successful", timeout=20_000)
    context.close()


def test_a_shopper_pays_with_the_keyboard_only(open_checkout, order):
    from playwright.sync_api import expect

    page = open_checkout(order)
    for _ in range(15):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "number":
            break
    expect(page.get_by_label("Card number")).to_be_focused()

    page.keyboard.type("4242424242424242")
    page.keyboard.press("Tab")
    page.keyboard.type("1235")
    page.keyboard.press("Tab")
    page.keyboard.type("123")
    page.keyboard.press("Tab")
    page.keyboard.type("Ada Lovelace")
    expect(page.get_by_label("Card number")).to_have_value("4242 4242 4242 4242")
    expect(page.get_by_label("Expiry (MM / YY)")).to_have_value("12 / 35")
    page.keyboard.press("Enter")

    expect(_heading(page)).to_have_text("Payment successful")


def test_the_checkout_fits_a_360_pixel_screen(browser, live_server, settings, make_order, problems):
    settings.SITE_URL = live_server.url
    order = make_order(description="Ethiopia Yirgacheffe beans, 250 g, and a ceramic dripper")
    context = browser.new_context(viewport={"width": 360, "height": 780}, device_scale_factor=2)
    page = context.new_page()
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)

    page.goto(f"{live_server.url}/checkout/{order.checkout_token}/")
    _shot(page, "checkout-360")
    widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    page.get_by_role("radio", name="E-wallet").check()
    wallet_widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    context.close()

    assert widths[0] <= widths[1] == 360
    assert wallet_widths[0] <= 360
    assert problems == []


def test_the_demo_shop_sends_the_shopper_to_checkout_and_back(
    page, live_server, settings, tmp_path
):
    from playwright.sync_api import expect

    from demo.services import demo_setup

    settings.VAR_DIR = tmp_path
    demo_setup()
    page.goto(f"{live_server.url}/demo/shop/")
    page.get_by_role("button", name="Add Ceramic pour-over dripper to the cart").click()
    page.get_by_role("button", name="Pay $24.00").click()
    expect(page.locator(".merchant")).to_have_text("Demo Coffee Roasters")
    _fill_card(page, VISA)
    page.get_by_role("button", name="Pay $24.00").click()
    expect(_heading(page)).to_have_text("Payment successful")

    page.get_by_role("link", name="Return to Demo Coffee Roasters").click()

    expect(_heading(page)).to_have_text("Thank you for your order")
    assert "status=paid" in page.url and "order_id=ord_" in page.url


def test_a_uk_card_pays_an_eur_order_in_gbp_at_the_dcc_offer_shown(
    open_checkout, make_order, merchant
):
    """DCC: the script fetches the offer once the BIN is known; the button says the charge."""
    from datetime import UTC, datetime
    from decimal import Decimal

    from playwright.sync_api import expect

    from fx.models import RateSnapshot

    now = datetime.now(UTC)
    RateSnapshot.objects.create(
        base="EUR", quote="GBP", rate=Decimal("0.87"), fixing_date=now.date(), fetched_at=now
    )
    merchant.dcc_enabled, merchant.dcc_markup_bps = True, 300
    merchant.save()
    order = make_order(amount=10000, currency="EUR")
    page = open_checkout(order)

    _fill_card(page, "4008 2600 0000 0004")
    expect(page.get_by_role("group", name="Currency to pay in")).to_be_visible()
    expect(page.get_by_role("radio", name=re.compile("^Pay €100.00"))).to_be_checked()
    page.get_by_role("radio", name=re.compile("^Pay £89.61")).check()  # 87.00 + 3.00%
    _shot(page, "checkout-dcc")

    page.get_by_role("button", name="Pay £89.61").click()

    expect(_heading(page)).to_have_text("Payment successful")
    payment = Payment.objects.get(order=order)
    assert (payment.currency, payment.amount) == ("GBP", 8961)
