"""Shoppers' passkeys in Chromium with a virtual authenticator (CDP ``WebAuthn``): a customer
pays with a card that asks for a code, saves it and a passkey, then pays the next order with
the passkey alone: no code is sent, the order is paid and the attempt says ``passkey``."""

import re

import pytest

from billing.models import ShopperPasskey
from billing.services import customer_create
from payments.models import Event, Order, OutboxMessage, Payment
from tests.admin.test_admin_passkeys_browser import virtual_authenticator
from tests.conftest import OTP_CARD

from . import test_checkout_browser as checkout_browser
from .test_checkout_browser import _fill_card, _read_code_from_inbox

browser = checkout_browser.browser
problems = checkout_browser.problems
page = checkout_browser.page
open_checkout = checkout_browser.open_checkout

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def customer(merchant):
    return customer_create(merchant=merchant, email="ada@example.com", name="Ada")


def test_a_customer_pays_the_next_order_with_a_passkey_alone(
    page, open_checkout, make_order, customer
):
    from playwright.sync_api import expect

    virtual_authenticator(page)

    # First order: the issuer asks for a code; the card is saved and a passkey made for it.
    first = make_order(amount=1500, customer=customer.public_id)
    open_checkout(first)
    _fill_card(page, OTP_CARD)
    page.get_by_label("Save this card for future payments").check()
    page.get_by_role("button", name=re.compile("^Pay")).click()
    expect(page.locator("h1")).to_have_text("Confirm it's you")
    expect(page.locator("#passkey-verify")).to_have_count(0)  # no passkey yet: the code
    page.get_by_label("Verification code").fill(_read_code_from_inbox(page))
    page.get_by_role("button", name="Confirm payment").click()
    expect(page.locator("h1")).to_have_text("Payment successful")
    page.get_by_role("button", name="Verify with your fingerprint or face next time").click()
    expect(page.locator(".notices")).to_contain_text("Passkey saved")
    expect(page.locator("#passkey-offer")).to_have_count(0)
    (passkey,) = ShopperPasskey.objects.all()
    assert passkey.payment_method.customer == customer
    codes_before = OutboxMessage.objects.count()

    # Second order: the saved card, and the passkey instead of a code.
    second = make_order(amount=2500, customer=customer.public_id)
    open_checkout(second)
    page.get_by_role("button", name="Pay $25.00").click()
    expect(page.locator("h1")).to_have_text("Confirm it's you")
    expect(page.get_by_role("button", name="Text me a code instead")).to_be_visible()
    expect(page.get_by_label("Verification code")).to_have_count(0)
    page.get_by_role("button", name="Verify with your fingerprint or face").click()
    expect(page.locator("h1")).to_have_text("Payment successful")

    payment = Payment.objects.get(order=second)
    assert OutboxMessage.objects.count() == codes_before  # no code was sent
    assert not OutboxMessage.objects.filter(payment=payment).exists()
    second.refresh_from_db()
    assert second.status == Order.Status.PAID and payment.status == "captured"
    attempt = payment.attempts.order_by("id").last()
    assert attempt.authenticated and attempt.authentication_method == "passkey"
    event = Event.objects.get(object_id=payment.public_id, type="payment.authenticated")
    assert event.data["authentication_method"] == "passkey"
    passkey.refresh_from_db()
    assert passkey.last_used_at is not None
