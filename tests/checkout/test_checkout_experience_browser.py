"""Issue 18's checkout points in headless Chromium, each at 1280×800 and 390×844: messages
beside fields or at the top and focused, a Pay button that stays under the pointer, the
merchant's brand, words per method, retryable declines, German pages, order lines, the bank
transfer page and the sandbox box. Every state is screenshot to ``test-output/screens/`` and
checked with axe-core (no serious or critical violation)."""

from __future__ import annotations

import re

import pytest

from payments.models import Order, Payment
from payments.services import bank_transfer_simulate
from tests.conftest import AMEX, ISSUER_CVC, NO_FUNDS, OTP_CARD, PROCESSING_ERROR, VISA

from .browser_kit import axe_violations, launch, new_page, screen

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LOGO = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="28" height="28">'
    b'<rect width="28" height="28" rx="6" fill="#0b6e4f"/></svg>'
)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch(playwright)
        yield browser
        browser.close()


@pytest.fixture(params=["desktop", "phone"])
def size(request):
    return request.param


@pytest.fixture
def problems():
    return []


@pytest.fixture
def open_page(browser, live_server, settings, size, problems):
    """Open a checkout address in a fresh context of this size; fails the test on a console
    error or a CSP violation."""
    settings.SITE_URL = live_server.url
    contexts = []

    def go(path: str, **context_options):
        page = new_page(browser, size, problems, **context_options)
        contexts.append(page.context)
        page.route(
            "https://logo.example/**",
            lambda route: route.fulfill(body=LOGO, content_type="image/svg+xml"),
        )
        page.goto(f"{live_server.url}{path}")
        return page

    yield go
    for context in contexts:
        context.close()
    assert problems == [], problems


def _pay_path(order) -> str:
    return f"/checkout/{order.checkout_token}/"


def _state(page, name, size):
    """Screenshot the state and check it with axe-core."""
    screen(page, name, size)
    assert axe_violations(page) == [], name


def _fill_card(page, number=VISA, exp="12 / 35", cvc="123", name="Ada Lovelace"):
    page.get_by_label("Card number").fill(number)
    page.get_by_label("Expiry (MM / YY)").fill(exp)
    page.get_by_label("Security code").fill(cvc)
    page.get_by_label("Name on card").fill(name)


def _press(page, locator):
    """Press and release the mouse on ``locator``'s centre as a person does; return the
    button's box at the press and at the release."""
    locator.scroll_into_view_if_needed()
    box = locator.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    at_release = locator.bounding_box()
    page.mouse.up()
    return box, at_release


# --- 1 and 2: refusals are said and focused; the Pay button stays under the pointer ----------


def test_a_press_on_pay_after_leaving_an_invalid_field_is_not_lost(open_page, order, size):
    from playwright.sync_api import expect

    page = open_page(_pay_path(order))
    _fill_card(page, number="4242 4242 4242 4241")
    page.get_by_label("Card number").focus()  # the shopper leaves it for the button
    button = page.locator("#pay-btn")

    pressed, released = _press(page, button)

    assert pressed["y"] == released["y"]  # nothing moved it between press and release
    expect(page.locator("#number-err")).to_have_text("Your card number is invalid.")
    expect(page.get_by_label("Card number")).to_be_focused()
    _state(page, "field-error", size)


def test_the_empty_name_error_appears_and_takes_the_focus(open_page, order, size):
    from playwright.sync_api import expect

    page = open_page(_pay_path(order))
    _fill_card(page, name="")
    page.get_by_label("Security code").focus()

    _press(page, page.locator("#pay-btn"))

    expect(page.locator("#holder_name-err")).to_have_text("Enter the name on the card.")
    expect(page.locator("#holder_name-err")).to_be_visible()
    expect(page.get_by_label("Name on card")).to_be_focused()
    expect(page.get_by_label("Name on card")).to_have_attribute("aria-invalid", "true")
    assert Payment.objects.count() == 0


def test_a_valid_card_pays_on_the_first_press_right_after_typing(open_page, order, size):
    from playwright.sync_api import expect

    page = open_page(_pay_path(order))
    _fill_card(page)
    page.get_by_label("Name on card").focus()

    _press(page, page.locator("#pay-btn"))

    expect(page.locator("h1")).to_have_text("Payment successful")
    _state(page, "success", size)


def test_a_refusal_without_a_field_is_shown_at_the_top_and_focused(open_page, make_order, size):
    """A live order with no live institution: the server refuses the whole form."""
    from playwright.sync_api import expect

    page = open_page(_pay_path(make_order(livemode=True)))
    _fill_card(page)
    page.locator("#pay-btn").click()

    alert = page.locator("#form-alert")
    expect(alert).to_contain_text("Live payments need a configured institution")
    expect(alert).to_have_attribute("role", "alert")
    expect(alert).to_be_focused()
    _state(page, "form-error", size)


# --- 3: the merchant's brand ---------------------------------------------------------------


def test_the_header_is_the_merchants_with_a_way_back_as_first_tab_stop(
    open_page, merchant, make_order, size
):
    from playwright.sync_api import expect

    merchant.name = "Blue Bottle Roasters"
    merchant.brand_logo_url = "https://logo.example/logo.svg"
    merchant.brand_color = "#0b6e4f"
    merchant.full_clean()
    merchant.save()
    order = make_order(return_url="https://shop.example/cart")
    page = open_page(_pay_path(order))

    page.keyboard.press("Tab")

    back = page.get_by_role("link", name="← Back to Blue Bottle Roasters")
    expect(back).to_be_focused()
    assert back.get_attribute("href").startswith("https://shop.example/cart?")
    expect(page.locator("header")).to_contain_text("Blue Bottle Roasters")
    expect(page.locator("header")).not_to_contain_text("Merchant Payments")
    assert page.locator("header img.logo").evaluate("img => img.naturalWidth") > 0
    colour = page.locator("#pay-btn").evaluate("b => getComputedStyle(b).backgroundColor")
    assert colour == "rgb(11, 110, 79)"
    _state(page, "branded", size)


def test_without_a_return_url_the_header_names_the_merchant_only(open_page, merchant, order, size):
    from playwright.sync_api import expect

    page = open_page(_pay_path(order))

    expect(page.locator("#merchant-brand")).to_have_text(merchant.name)
    assert page.locator("header a").count() == 0


# --- 4: words per method -------------------------------------------------------------------


def test_each_method_has_its_own_words(open_page, order, size):
    from playwright.sync_api import expect

    page = open_page(_pay_path(order))
    lock = page.locator("#card-lock")
    expect(lock).to_contain_text("never sees your card number")
    expect(page.locator("#pay-btn")).to_have_accessible_name("Pay $10.00")

    page.get_by_role("radio", name="E-wallet").check()
    expect(lock).to_be_hidden()
    expect(page.locator("#pay-btn")).to_have_accessible_name("Pay $10.00")

    page.get_by_role("radio", name="Bank transfer").check()
    expect(lock).to_be_hidden()
    expect(page.locator("#pay-btn")).to_have_accessible_name("Get transfer details")
    _state(page, "bank-transfer-chosen", size)
    page.get_by_role("button", name="Get transfer details").click()

    expect(page.locator("h1")).to_have_text("Transfer $10.00 to pay")


def test_a_single_method_is_not_a_radio_group(open_page, make_order, size):
    from playwright.sync_api import expect

    page = open_page(_pay_path(make_order(amount=12500, currency="KWD")))

    assert page.get_by_role("radio").count() == 0
    assert page.get_by_role("group", name="Payment method").count() == 0
    expect(page.locator("#only-method")).to_have_text("Pay by Card")
    _fill_card(page)
    page.locator("#pay-btn").click()
    expect(page.locator("h1")).to_have_text("Payment successful")


# --- 5: retryable declines -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "title", "name"),
    [
        (ISSUER_CVC, "Check your security code", "decline-cvc"),
        (PROCESSING_ERROR, "Your bank did not answer", "decline-processing"),
    ],
)
def test_a_retryable_decline_offers_try_again_on_the_same_method(
    open_page, order, size, number, title, name
):
    from playwright.sync_api import expect

    page = open_page(_pay_path(order))
    _fill_card(page, number=number)
    page.locator("#pay-btn").click()

    expect(page.locator("h1")).to_have_text(title)
    expect(page.get_by_role("link", name="Try another payment method")).to_be_visible()
    _state(page, name, size)
    page.get_by_role("link", name="Try again").click()

    expect(page.get_by_role("radio", name="Card")).to_be_checked()
    _fill_card(page)
    page.locator("#pay-btn").click()
    expect(page.locator("h1")).to_have_text("Payment successful")


def test_a_final_decline_is_titled_declined_and_offers_another_method(open_page, order, size):
    from playwright.sync_api import expect

    page = open_page(_pay_path(order))
    _fill_card(page, number=NO_FUNDS)
    page.locator("#pay-btn").click()

    expect(page.locator("h1")).to_have_text("Payment declined")
    assert page.get_by_role("link", name="Try again").count() == 0
    expect(page.get_by_role("link", name="Try another payment method")).to_be_visible()
    _state(page, "declined", size)


# --- 6: one language -----------------------------------------------------------------------


def test_a_german_shopper_reads_german(open_page, make_order, size):
    from playwright.sync_api import expect

    order = make_order(amount=123450, currency="EUR", return_url="https://shop.example/")
    page = open_page(_pay_path(order), locale="de-DE")

    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.locator("#pay-btn")).to_have_accessible_name("1.234,50\u00a0€ bezahlen")
    expect(page.get_by_label("Kartennummer")).to_be_visible()
    expect(page.locator("#back-to-merchant")).to_contain_text("Zurück zu")
    expect(page.locator("#card-lock")).to_contain_text("Kartennummer")
    _state(page, "german", size)
    page.get_by_label("Kartennummer").fill("4242")
    page.locator("#pay-btn").click()

    expect(page.locator("#number-err")).to_have_text("Ihre Kartennummer ist unvollständig.")
    expect(page.locator("#holder_name-err")).to_have_text("Geben Sie den Namen auf der Karte ein.")


# --- 7: the order as lines -----------------------------------------------------------------


def test_the_summary_lists_lines_and_a_total_and_wraps_a_long_reference(
    open_page, make_order, size
):
    from playwright.sync_api import expect

    order = make_order(
        amount=3000,
        reference="INV-2026-" + "7" * 60,
        line_items=[
            {
                "name": "Ethiopia Yirgacheffe, whole beans, 250 g",
                "quantity": 2,
                "unit_amount": 1250,
            },
            {"name": "Paper filters, 100 pack", "quantity": 1, "unit_amount": 500},
        ],
    )
    page = open_page(_pay_path(order))

    rows = page.locator("#order-lines tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("Ethiopia Yirgacheffe")
    expect(rows.nth(0).locator(".item-qty")).to_have_text("× 2")
    expect(rows.nth(0).locator(".item-amount")).to_have_text("$25.00")
    expect(page.locator(".total-line")).to_contain_text("$30.00")
    summary = page.locator(".summary").bounding_box()
    reference = page.locator(".ref .mono").bounding_box()
    assert reference["x"] + reference["width"] <= summary["x"] + summary["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
    _state(page, "order-lines", size)


# --- 8: the bank transfer page -------------------------------------------------------------


def test_the_transfer_page_copies_shows_both_deadlines_and_updates_itself(open_page, order, size):
    from playwright.sync_api import expect

    page = open_page(
        _pay_path(order),
        timezone_id="America/New_York",
        permissions=["clipboard-read", "clipboard-write"],
    )
    page.get_by_role("radio", name="Bank transfer").check()
    page.get_by_role("button", name="Get transfer details").click()
    expect(page.locator("h1")).to_have_text("Transfer $10.00 to pay")
    transfer = Payment.objects.get(order=order).transfer

    page.get_by_role("button", name="Copy account number").click()
    expect(page.locator("#transfer-account-copied")).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == transfer["account_number"]
    page.get_by_role("button", name="Copy reference").click()
    assert page.evaluate("navigator.clipboard.readText()") == transfer["reference"]
    expect(page.locator("#deadline-utc")).to_contain_text("UTC")
    expect(page.locator("#deadline-local")).to_be_visible()
    expect(page.locator("#deadline-local")).to_contain_text(re.compile(r"EST|EDT|GMT-[45]"))
    _state(page, "transfer", size)

    bank_transfer_simulate(transfer_reference=transfer["reference"], amount=transfer["amount"])

    expect(page.locator("h1")).to_have_text("Payment successful", timeout=20_000)
    assert Order.objects.get(pk=order.pk).status == Order.Status.PAID


# --- 9: the sandbox box --------------------------------------------------------------------


def test_the_sandbox_box_lists_every_test_card_and_wallet_and_the_amex_rule(open_page, order, size):
    from playwright.sync_api import expect

    from institutions.catalogue import SEED_ACCOUNTS

    page = open_page(_pay_path(order))
    box = page.locator("aside.sandbox")
    expect(box).to_contain_text("3 digits, 4 for Amex")
    page.locator("#sandbox-cards summary").click()
    page.locator("#sandbox-wallets summary").click()
    shown = [re.sub(r"\s", "", c) for c in box.locator("code").all_inner_texts()]

    assert shown == [a.pan or a.phone for a in SEED_ACCOUNTS]
    _state(page, "sandbox-box", size)
    _fill_card(page, number=AMEX, cvc="1234")
    page.locator("#pay-btn").click()
    expect(page.locator("h1")).to_have_text("Payment successful")


# --- the other states: code entry, inbox, expired order ------------------------------------


def test_the_code_page_and_the_sandbox_inbox(open_page, order, size):
    from playwright.sync_api import expect

    page = open_page(_pay_path(order))
    _fill_card(page, number=OTP_CARD)
    page.locator("#pay-btn").click()
    expect(page.locator("h1")).to_have_text("Confirm it's you")
    _state(page, "otp", size)
    page.get_by_role("button", name="Confirm payment").click()
    expect(page.locator("#code-err")).to_have_text("Enter the 6-digit code.")
    expect(page.get_by_label("Verification code")).to_be_focused()
    _state(page, "otp-error", size)

    page.get_by_role("link", name="read the code in the sandbox inbox").click()
    expect(page.locator("h1")).to_have_text("Sandbox inbox")
    _state(page, "inbox", size)


def test_an_expired_order_says_so(open_page, order, size):
    from datetime import timedelta

    from django.utils import timezone
    from playwright.sync_api import expect

    Order.objects.filter(pk=order.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    page = open_page(_pay_path(order))

    expect(page.locator("h1")).to_have_text("This order has expired")
    _state(page, "expired", size)


def test_a_canceled_order_and_a_payment_awaiting_its_bank(open_page, make_order, pay, size):
    from playwright.sync_api import expect

    from payments.services import order_cancel

    canceled = order_cancel(order=make_order())
    page = open_page(_pay_path(canceled))
    expect(page.locator("h1")).to_have_text("This order was canceled")
    _state(page, "canceled", size)

    # A bank that has not answered yet (status set directly: no sandbox account stays silent).
    waiting_order = make_order()
    payment = pay(waiting_order, None)
    Payment.objects.filter(pk=payment.pk).update(status=Payment.Status.PROCESSING)
    Order.objects.filter(pk=waiting_order.pk).update(status=Order.Status.PENDING)
    page.goto(page.url.split("/checkout/")[0] + f"/checkout/{waiting_order.checkout_token}/")
    expect(page.locator("h1")).to_have_text("Confirming your payment")
    _state(page, "processing", size)


def test_a_refused_security_check_page(open_page, order, size, problems):
    """A POST without the CSRF cookie (cleared cookies): the checkout's own page, not a 403."""
    from playwright.sync_api import expect

    page = open_page(_pay_path(order))
    page.context.clear_cookies()
    _fill_card(page)
    page.locator("#pay-btn").click()

    expect(page.locator("h1")).to_have_text("Please try again")
    _state(page, "csrf-failed", size)
    # The page is answered with 403 on purpose; Chromium logs that status as a console error.
    problems[:] = [p for p in problems if "status of 403" not in p]
