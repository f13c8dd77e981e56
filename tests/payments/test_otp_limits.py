"""Shopper OTP tries are capped across payments (issue 17, point 2).

After ``authentication_failed`` the order stays payable, so each new payment on the same order
and card used to get three more tries and another SMS (15 wrong codes in 16 s were checked).
Wrong codes are now counted per order and per card (or wallet) over a window, and codes sent per
destination: past a cap the order's new payments are declined ``authentication_locked``.
"""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from payments.errors import OtpError, OtpResendNotAllowed
from payments.models import OutboxMessage, Payment
from payments.services import otp_resend, otp_verify
from tests.conftest import OTP_ALWAYS_CARD, OTP_CARD, VISA, card

pytestmark = pytest.mark.django_db

LOCKED = "authentication_locked"


@pytest.fixture(autouse=True)
def _caps(settings):
    settings.PAYMENTS_OTP_MAX_FAILURES_PER_ORDER = 5
    settings.PAYMENTS_OTP_MAX_FAILURES_PER_CARD = 10
    settings.PAYMENTS_OTP_FAILURE_WINDOW = timedelta(hours=1)
    settings.PAYMENTS_OTP_MAX_SENDS_PER_DESTINATION = 20
    settings.PAYMENTS_OTP_SEND_WINDOW = timedelta(hours=1)


def _wrong(payment) -> Payment:
    """Submit a wrong code; return the payment as it is afterwards."""
    try:
        return otp_verify(payment_pk=payment.pk, code="000000")
    except OtpError:
        return Payment.objects.get(pk=payment.pk)


def _fail_until_over(payment) -> Payment:
    while payment.status == Payment.Status.REQUIRES_ACTION:
        payment = _wrong(payment)
    return payment


def test_wrong_codes_across_payments_of_one_order_are_capped(order, pay):
    first = _fail_until_over(pay(order, card(OTP_ALWAYS_CARD)))
    assert first.decline_code == "authentication_failed"  # 3 wrong codes

    second = pay(order, card(OTP_ALWAYS_CARD))
    assert second.status == Payment.Status.REQUIRES_ACTION
    second = _wrong(second)
    assert second.status == Payment.Status.REQUIRES_ACTION  # 4 wrong codes on the order
    second = _wrong(second)

    assert second.status == Payment.Status.DECLINED  # the 5th
    assert second.decline_code == LOCKED
    sent = OutboxMessage.objects.count()
    third = pay(order, card(VISA))  # even another card: the order is locked
    assert third.status == Payment.Status.DECLINED
    assert third.decline_code == LOCKED
    assert "too many" in third.decline_message.lower()
    assert OutboxMessage.objects.count() == sent  # no SMS for a refused payment


def test_wrong_codes_of_one_card_across_orders_are_capped(make_order, pay, settings):
    settings.PAYMENTS_OTP_MAX_FAILURES_PER_ORDER = 100
    settings.PAYMENTS_OTP_MAX_FAILURES_PER_CARD = 4
    _fail_until_over(pay(make_order(), card(OTP_ALWAYS_CARD)))  # 3

    on_another_order = _wrong(pay(make_order(), card(OTP_ALWAYS_CARD)))  # the 4th

    assert on_another_order.decline_code == LOCKED
    refused = pay(make_order(), card(OTP_ALWAYS_CARD))
    assert (refused.status, refused.decline_code) == (Payment.Status.DECLINED, LOCKED)
    other_card = pay(make_order(), card(OTP_CARD))
    assert other_card.status == Payment.Status.REQUIRES_ACTION


def test_the_caps_open_again_after_the_window(order, pay):
    _fail_until_over(pay(order, card(OTP_ALWAYS_CARD)))
    _fail_until_over(pay(order, card(OTP_ALWAYS_CARD)))
    assert pay(order, card(OTP_ALWAYS_CARD)).decline_code == LOCKED

    with time_machine.travel(timezone.now() + timedelta(hours=1, seconds=1)):
        again = pay(order, card(OTP_ALWAYS_CARD))

    assert again.status == Payment.Status.REQUIRES_ACTION


def test_a_right_code_is_not_counted(order, pay, sandbox_otp_code, settings):
    settings.PAYMENTS_OTP_MAX_FAILURES_PER_ORDER = 1
    payment = pay(order, card(OTP_ALWAYS_CARD))

    paid = otp_verify(payment_pk=payment.pk, code=sandbox_otp_code(payment))

    assert paid.status == Payment.Status.CAPTURED


def test_codes_sent_to_one_destination_are_capped(make_order, pay, settings):
    settings.PAYMENTS_OTP_MAX_SENDS_PER_DESTINATION = 2
    first = pay(make_order(), card(OTP_ALWAYS_CARD))
    pay(make_order(), card(OTP_ALWAYS_CARD))
    assert OutboxMessage.objects.count() == 2

    third = pay(make_order(), card(OTP_ALWAYS_CARD))

    assert (third.status, third.decline_code) == (Payment.Status.DECLINED, LOCKED)
    assert OutboxMessage.objects.count() == 2
    with (
        pytest.raises(OtpResendNotAllowed),
        time_machine.travel(timezone.now() + timedelta(minutes=1)),
    ):
        otp_resend(payment_pk=first.pk)
    assert OutboxMessage.objects.count() == 2
