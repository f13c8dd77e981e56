"""The card-testing guard on the hosted checkout and the API: a run of small declined attempts
with many cards from one source is stopped; other shoppers pay as before."""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from tests.risk.conftest import DE_IP, GB_IP

pytestmark = pytest.mark.django_db

TESTER_IP = "203.0.113.66"


def luhn_card(seed: int) -> str:
    """A valid Visa number no sandbox account has (the issuer declines it)."""
    body = f"4{seed:014d}"
    total = 0
    for i, digit in enumerate(reversed(body)):
        d = int(digit) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return body + str((10 - total % 10) % 10)


def checkout_pay(browser: Client, order, number: str):
    data = {"method": "card", "number": number, "exp": "12 / 35", "cvc": "123", "holder_name": "X"}
    return browser.post(f"/checkout/{order.checkout_token}/", data, follow=True)


def test_a_card_testing_run_on_the_hosted_checkout_is_stopped(make_order, order):
    from institutions.models import SandboxAuthorization
    from payments.models import Payment

    tester = Client(REMOTE_ADDR=TESTER_IP)
    start = timezone.now()
    with time_machine.travel(start, tick=True) as clock:
        for attempt in range(200):  # 200 small attempts with 200 cards in 2 minutes
            checkout_pay(tester, make_order(amount=100), luhn_card(1000 + attempt))
            clock.shift(timedelta(milliseconds=600))
        shopper = Client(REMOTE_ADDR=GB_IP)
        page = checkout_pay(shopper, order, "4242424242424242")

    payments = Payment.objects.exclude(order=order)
    stopped = payments.filter(decline_code="card_testing").count()
    asked = SandboxAuthorization.objects.filter(method_type="card").count()
    assert payments.count() == 200
    assert stopped >= 190, "the run went on"
    assert asked <= 10, f"the issuer was asked {asked} times"
    order.refresh_from_db()
    assert order.status == "paid", page.content.decode()[:500]


def test_the_shopper_of_a_stopped_run_sees_why(make_order):
    tester = Client(REMOTE_ADDR=TESTER_IP)
    for attempt in range(8):
        last = checkout_pay(tester, make_order(amount=100), luhn_card(5000 + attempt))

    assert "payments from it are paused" in last.content.decode()


def test_a_shopper_who_mistypes_a_few_times_is_not_locked_out(make_order, order):
    shopper = Client(REMOTE_ADDR=DE_IP)
    for attempt in range(3):  # three cards of the family, each declined
        checkout_pay(shopper, order, luhn_card(7000 + attempt))
    checkout_pay(shopper, order, "4000000000009995")  # no funds: a fourth decline, same order

    page = checkout_pay(shopper, order, "4242424242424242")

    order.refresh_from_db()
    assert order.status == "paid", page.content.decode()[:300]


def test_the_block_lifts_after_its_time(make_order, order, settings):
    from risk.models import ListEntry

    tester = Client(REMOTE_ADDR=TESTER_IP)
    for attempt in range(10):
        checkout_pay(tester, make_order(amount=100), luhn_card(9000 + attempt))
    entry = ListEntry.objects.get(kind="ip", value=TESTER_IP)
    assert entry.source == "card_testing"

    with time_machine.travel(entry.expires_at + timedelta(minutes=11)):
        checkout_pay(tester, order, "4242424242424242")

    order.refresh_from_db()
    assert order.status == "paid"


def test_a_run_through_the_api_from_one_shopper_address_is_stopped(pay_from):
    outcomes = [
        pay_from(amount=100, ip=TESTER_IP, number=luhn_card(3000 + i))["decline_code"]
        for i in range(30)
    ]

    assert outcomes.count("card_testing") >= 22
    assert pay_from(amount=100, ip=GB_IP)["status"] == "captured"


def test_api_payments_without_a_shopper_address_are_never_one_source(pay_from):
    outcomes = [
        pay_from(amount=100, ip="", number=luhn_card(4000 + i))["decline_code"] for i in range(12)
    ]

    assert "card_testing" not in outcomes
