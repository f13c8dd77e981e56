"""The OTP challenge: delivered through the outbox, hashed, single use, limited, throttled."""

import pytest
import time_machine
from django.utils import timezone

from payments.errors import InvalidTransition, OtpError, OtpResendNotAllowed
from payments.models import Order, OtpChallenge, OutboxMessage, Payment
from payments.services import otp_resend, otp_verify
from tests.conftest import OTP_ALWAYS_CARD, OTP_CARD, WALLET_EMPTY, WALLET_OK, card, wallet

pytestmark = pytest.mark.django_db


@pytest.fixture
def challenged(order, pay):
    payment = pay(order, card(OTP_CARD))
    assert payment.status == Payment.Status.REQUIRES_ACTION
    return payment


def test_challenge_sends_a_six_digit_code_to_the_cardholders_phone(challenged, sandbox_otp_code):
    challenge = challenged.otp_challenges.get()
    message = OutboxMessage.objects.get(payment=challenged)

    code = sandbox_otp_code(challenged)
    assert len(code) == 6 and code.isdigit()
    assert message.to == challenge.destination and message.channel == "sms"
    assert challenge.masked_destination != challenge.destination
    assert challenge.destination[-4:] in challenge.masked_destination


def test_the_code_is_stored_only_hashed(challenged, sandbox_otp_code):
    code = sandbox_otp_code(challenged)
    challenge = challenged.otp_challenges.get()

    assert code not in challenge.token_hash
    assert challenge.token_hash and len(challenge.token_hash) == 64


def test_right_code_completes_the_payment_and_pays_the_order(
    challenged, sandbox_otp_code, django_capture_on_commit_callbacks, assert_invariants
):
    with django_capture_on_commit_callbacks(execute=True):
        payment = otp_verify(payment_pk=challenged.pk, code=sandbox_otp_code(challenged))

    payment.order.refresh_from_db()
    assert payment.status == Payment.Status.CAPTURED
    assert payment.order.status == "paid"
    assert payment.attempts.filter(authenticated=True, outcome="approved").count() == 1
    assert payment.otp_challenges.get().status == OtpChallenge.Status.VERIFIED
    assert_invariants()


def test_a_code_works_only_once(challenged, sandbox_otp_code):
    code = sandbox_otp_code(challenged)
    otp_verify(payment_pk=challenged.pk, code=code)

    with pytest.raises(InvalidTransition):
        otp_verify(payment_pk=challenged.pk, code=code)


def test_wrong_code_says_how_many_tries_are_left(challenged):
    with pytest.raises(OtpError) as err:
        otp_verify(payment_pk=challenged.pk, code="000000")

    assert err.value.attempts_remaining == 2
    challenged.refresh_from_db()
    assert challenged.status == Payment.Status.REQUIRES_ACTION


def test_three_wrong_codes_decline_the_payment_authentication_failed(challenged, sandbox_otp_code):
    right = sandbox_otp_code(challenged)
    wrong = "111111" if right != "111111" else "222222"
    for _ in range(2):
        with pytest.raises(OtpError):
            otp_verify(payment_pk=challenged.pk, code=wrong)

    payment = otp_verify(payment_pk=challenged.pk, code=wrong)

    assert payment.status == Payment.Status.DECLINED
    assert payment.decline_code == "authentication_failed"
    payment.order.refresh_from_db()
    assert payment.order.status == "pending"
    with pytest.raises(InvalidTransition):
        otp_verify(payment_pk=challenged.pk, code=right)


def test_a_code_expires_after_five_minutes(challenged, sandbox_otp_code):
    code = sandbox_otp_code(challenged)

    with time_machine.travel(timezone.now() + timezone.timedelta(minutes=5, seconds=1)):
        with pytest.raises(OtpError) as err:
            otp_verify(payment_pk=challenged.pk, code=code)

    assert err.value.code == "otp_expired"


def test_a_right_code_after_the_orders_deadline_expires_the_payment_and_charges_nothing(
    challenged, sandbox_otp_code, assert_invariants
):
    """The order's deadline holds even before the beat task has expired the order."""
    code = sandbox_otp_code(challenged)
    Order.objects.filter(pk=challenged.order_id).update(
        expires_at=timezone.now() - timezone.timedelta(seconds=1)
    )

    payment = otp_verify(payment_pk=challenged.pk, code=code)

    assert payment.status == Payment.Status.EXPIRED
    payment.order.refresh_from_db()
    assert payment.order.status == "pending" and payment.order.paid_at is None
    assert payment.otp_challenges.get().status == OtpChallenge.Status.EXPIRED
    assert_invariants()


def test_wrong_codes_are_spaced_out_by_django_otp_throttling(challenged, settings):
    settings.PAYMENTS_OTP_THROTTLE_FACTOR = 1
    with pytest.raises(OtpError):
        otp_verify(payment_pk=challenged.pk, code="000000")

    with pytest.raises(OtpError) as err:
        otp_verify(payment_pk=challenged.pk, code="000000")

    assert err.value.code == "otp_throttled"
    assert challenged.otp_challenges.get().throttling_failure_count == 1


def test_resend_replaces_the_code_after_the_cooldown(challenged, sandbox_otp_code):
    first = sandbox_otp_code(challenged)
    with pytest.raises(OtpResendNotAllowed):
        otp_resend(payment_pk=challenged.pk)

    with time_machine.travel(timezone.now() + timezone.timedelta(seconds=31)):
        otp_resend(payment_pk=challenged.pk)
        second = sandbox_otp_code(challenged)
        assert OutboxMessage.objects.filter(payment=challenged).count() == 2
        if first != second:
            with pytest.raises(OtpError):
                otp_verify(payment_pk=challenged.pk, code=first)
        payment = otp_verify(payment_pk=challenged.pk, code=second)

    assert payment.status == Payment.Status.CAPTURED


def test_at_most_three_resends(challenged):
    now = timezone.now()
    for i in range(1, 4):
        with time_machine.travel(now + timezone.timedelta(seconds=31 * i)):
            otp_resend(payment_pk=challenged.pk)

    with time_machine.travel(now + timezone.timedelta(seconds=31 * 5)):
        with pytest.raises(OtpResendNotAllowed):
            otp_resend(payment_pk=challenged.pk)


def test_no_code_is_sent_after_the_orders_deadline(challenged):
    sent = OutboxMessage.objects.count()
    Order.objects.filter(pk=challenged.order_id).update(
        expires_at=timezone.now() - timezone.timedelta(seconds=1)
    )

    with time_machine.travel(timezone.now() + timezone.timedelta(seconds=31)):
        with pytest.raises(OtpResendNotAllowed, match="expired"):
            otp_resend(payment_pk=challenged.pk)

    assert OutboxMessage.objects.count() == sent


def test_card_that_challenges_every_payment_challenges_again(make_order, pay, sandbox_otp_code):
    for _ in range(2):
        payment = pay(make_order(), card(OTP_ALWAYS_CARD))
        assert payment.status == Payment.Status.REQUIRES_ACTION
        assert (
            otp_verify(payment_pk=payment.pk, code=sandbox_otp_code(payment)).status == "captured"
        )


def test_wallet_payment_is_approved_by_the_holder_through_otp(order, pay, sandbox_otp_code):
    payment = pay(order, wallet(WALLET_OK))
    assert payment.status == Payment.Status.REQUIRES_ACTION
    assert payment.institution == "sandbox_wallet"

    payment = otp_verify(payment_pk=payment.pk, code=sandbox_otp_code(payment))

    assert payment.status == Payment.Status.CAPTURED


def test_empty_wallet_is_declined_insufficient_funds(order, pay):
    payment = pay(order, wallet(WALLET_EMPTY))

    assert payment.status == "declined" and payment.decline_code == "insufficient_funds"


def test_live_mode_codes_are_not_kept_readable_in_the_outbox(make_order, pay, live_institution):
    order = make_order(livemode=True)

    payment = pay(order, card(OTP_CARD))

    body = OutboxMessage.objects.get(payment=payment).body
    assert "******" in body and not any(ch.isdigit() for ch in body.split(" is your code")[0])
