"""Saved cards on the hosted checkout in headless Chromium against the live server.

A shopper saves a card with the consent shown, finds it offered on the next order of the same
customer and pays with it; saving the same card again gives the same method. Like the other
browser tests, any console error or CSP violation fails the test.
"""

import re

import pytest

from billing.models import PaymentMethod
from billing.services import customer_create
from payments.models import CardSaveConsent, Order, Payment
from tests.conftest import OTP_CARD, VISA

from . import test_checkout_browser as checkout_browser
from .test_checkout_browser import _fill_card, _read_code_from_inbox, _shot

# The browser, page and checkout fixtures of the checkout's browser tests, used here too.
browser = checkout_browser.browser
problems = checkout_browser.problems
page = checkout_browser.page
open_checkout = checkout_browser.open_checkout

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def customer(merchant):
    return customer_create(merchant=merchant, email="ada@example.com", name="Ada")


def _pay_with_a_new_card_saved(page, number=VISA):
    from playwright.sync_api import expect

    _fill_card(page, number)
    save = page.get_by_label("Save this card for future payments")
    expect(save).not_to_be_checked()
    save.check()
    page.get_by_role("button", name=re.compile("^Pay")).click()


def test_a_card_saved_at_the_checkout_is_offered_and_pays_the_customers_next_order(
    open_checkout, make_order, customer
):
    from playwright.sync_api import expect

    first = make_order(amount=1500, customer=customer.public_id)
    page = open_checkout(first)
    consent = page.locator("#save_card-consent")
    expect(consent).to_contain_text("I allow Merchant")
    shown = consent.inner_text()
    _shot(page, "save-card")
    _pay_with_a_new_card_saved(page)

    expect(page.locator("h1")).to_have_text("Payment successful")
    expect(page.locator("#card-saved")).to_contain_text("Visa •••• 4242 is saved")
    method = PaymentMethod.objects.get(customer=customer)
    assert method.consent_text == f"Save this card for future payments. {shown}"
    assert method.consent_usage == "on_session" and str(method.consent_ip) == "127.0.0.1"
    assert method.status == "active"

    second = make_order(amount=2500, customer=customer.public_id)
    page = open_checkout(second)
    saved = page.get_by_label(re.compile(r"Visa •••• 4242\s*Expires 12/35"))
    expect(saved).to_be_checked()
    # With a saved card chosen, nothing is typed; "Use another card" brings the card form.
    expect(page.get_by_label("Card number")).to_be_hidden()
    page.get_by_label("Use another card").check()
    expect(page.get_by_label("Card number")).to_be_visible()
    expect(page.get_by_label("Save this card for future payments")).to_be_visible()
    saved.check()
    expect(page.get_by_label("Card number")).to_be_hidden()
    _shot(page, "saved-cards")
    page.get_by_role("button", name="Pay $25.00").click()

    expect(page.locator("h1")).to_have_text("Payment successful")
    expect(page.locator("#paid-with")).to_have_text("Visa •••• 4242")
    payment = Payment.objects.get(order=second)
    assert payment.status == "captured" and payment.card_id == method.card_id
    second.refresh_from_db()
    assert second.status == Order.Status.PAID


def test_saving_the_same_card_twice_keeps_one_method(open_checkout, make_order, customer):
    from playwright.sync_api import expect

    for amount in (1000, 1100):
        page = open_checkout(make_order(amount=amount, customer=customer.public_id))
        if amount == 1100:
            page.get_by_label("Use another card").check()
        _pay_with_a_new_card_saved(page)
        expect(page.locator("h1")).to_have_text("Payment successful")

    (method,) = PaymentMethod.objects.filter(customer=customer)
    saved_ids = set(CardSaveConsent.objects.values_list("method_id", flat=True))
    assert saved_ids == {method.public_id}


def test_a_card_asking_for_a_code_is_saved_after_the_code(open_checkout, make_order, customer):
    from playwright.sync_api import expect

    page = open_checkout(make_order(customer=customer.public_id))
    _pay_with_a_new_card_saved(page, OTP_CARD)
    expect(page.locator("h1")).to_have_text("Confirm it's you")
    assert not PaymentMethod.objects.exists()

    page.get_by_label("Verification code").fill(_read_code_from_inbox(page))
    page.get_by_role("button", name="Confirm payment").click()

    expect(page.locator("h1")).to_have_text("Payment successful")
    expect(page.locator("#card-saved")).to_contain_text("•••• 3220 is saved")
    assert PaymentMethod.objects.get(customer=customer).card_last4 == "3220"


def test_an_order_without_customer_offers_no_saving(open_checkout, make_order):
    from playwright.sync_api import expect

    page = open_checkout(make_order())

    expect(page.get_by_label("Card number")).to_be_visible()
    expect(page.get_by_label("Save this card for future payments")).to_have_count(0)
