"""The payment flow through the services: validate, route, authorize, OTP, capture, decline."""

import re

import pytest
from django.utils import timezone

from payments.errors import OrderNotPayable, PaymentInProgress, ValidationFailed
from payments.models import Event, Order, Payment, PaymentAttempt
from payments.services import MethodInput, payment_create
from tests.conftest import (
    AMEX,
    BLOCKED,
    DEBIT_100,
    ISSUER_CVC,
    ISSUER_EXPIRED,
    LOST,
    MASTERCARD,
    NO_FUNDS,
    PROCESSING_ERROR,
    STOLEN,
    VISA,
    card,
    stored_text,
)

pytestmark = pytest.mark.django_db


def test_visa_payment_is_authorized_captured_and_the_order_paid(order, pay, assert_invariants):
    payment = pay(order, card(VISA))

    order.refresh_from_db()
    assert payment.status == Payment.Status.CAPTURED
    assert payment.amount_captured == payment.amount_authorized == 1000
    assert payment.institution == "sandbox_issuer_visa"
    assert payment.card_brand == "visa" and payment.card_last4 == "4242"
    assert order.status == Order.Status.PAID and order.paid_at is not None
    types = list(Event.objects.order_by("id").values_list("type", flat=True))
    assert types[-3:] == ["payment.authorized", "payment.captured", "order.paid"]
    assert_invariants()


@pytest.mark.parametrize(
    ("number", "institution"),
    [
        (MASTERCARD, "sandbox_issuer_mc"),
        (AMEX, "sandbox_issuer_amex"),
        ("2223003122003222", "sandbox_issuer_mc"),
    ],
)
def test_cards_are_routed_by_bin_range(make_order, pay, number, institution):
    payment = pay(make_order(), card(number))

    assert payment.institution == institution
    assert payment.attempts.get().institution == institution


@pytest.mark.parametrize(
    ("number", "code"),
    [
        (NO_FUNDS, "insufficient_funds"),
        (BLOCKED, "card_declined"),
        (ISSUER_CVC, "incorrect_cvc"),
        (ISSUER_EXPIRED, "expired_card"),
        (LOST, "lost_card"),
        (STOLEN, "stolen_card"),
        ("4111111111111111", "card_not_supported"),
    ],
)
def test_issuer_declines_leave_the_order_payable(order, pay, number, code, assert_invariants):
    payment = pay(order, card(number))

    order.refresh_from_db()
    assert payment.status == Payment.Status.DECLINED
    assert payment.decline_code == code
    assert order.status == Order.Status.PENDING
    assert Event.objects.filter(type="payment.declined", object_id=payment.public_id).exists()
    assert_invariants()


def test_declined_order_can_be_paid_with_another_card(order, pay, assert_invariants):
    declined = pay(order, card(NO_FUNDS))
    paid = pay(order, card(VISA))

    order.refresh_from_db()
    assert declined.status == "declined" and paid.status == "captured"
    assert order.status == "paid"
    assert_invariants()


def test_processing_error_declines_without_leaving_a_hold(order, pay):
    payment = pay(order, card(PROCESSING_ERROR))

    attempt = payment.attempts.get()
    assert payment.status == "declined" and payment.decline_code == "processing_error"
    assert attempt.outcome == PaymentAttempt.Outcome.ERROR
    assert payment.amount_authorized == 0


def test_debit_card_declines_once_holds_exceed_its_balance(make_order, pay):
    first = pay(make_order(amount=6000), card(DEBIT_100))
    second = pay(make_order(amount=6000), card(DEBIT_100))
    third = pay(make_order(amount=4000), card(DEBIT_100))

    assert first.status == "captured"
    assert second.status == "declined" and second.decline_code == "insufficient_funds"
    assert third.status == "captured"


def test_invalid_card_is_rejected_field_by_field_before_anything_is_stored(order):
    bad = MethodInput(
        type="card",
        number="4242 4242 4242 4241",
        exp_month=13,
        exp_year=2030,
        cvc="12",
        holder_name="",
    )

    with pytest.raises(ValidationFailed) as err:
        payment_create(order=order, method=bad)

    fields = {e.field: e.code for e in err.value.errors}
    assert fields["card.number"] == "invalid_number"
    assert fields["card.exp_month"] == "invalid_expiry"
    assert fields["card.cvc"] == "invalid_cvc"
    assert "card.holder_name" in fields
    assert Payment.objects.count() == 0 and PaymentAttempt.objects.count() == 0


def test_unsupported_method_currency_is_rejected(make_order):
    order = make_order(currency="KWD", amount=12500)

    with pytest.raises(ValidationFailed) as err:
        payment_create(order=order, method=MethodInput(type="bank_transfer"))

    assert err.value.errors[0].code == "unsupported_method_currency"


def test_a_paid_order_cannot_be_paid_again(captured_payment, pay):
    with pytest.raises(OrderNotPayable):
        pay(captured_payment.order, card(VISA))

    assert Payment.objects.count() == 1


def test_second_payment_while_one_is_in_progress_is_refused(order, pay):
    from tests.conftest import OTP_CARD

    waiting = pay(order, card(OTP_CARD))
    assert waiting.status == "requires_action"

    with pytest.raises(PaymentInProgress):
        pay(order, card(VISA))


def test_expired_order_cannot_be_paid(order, pay):
    Order.objects.filter(pk=order.pk).update(expires_at=timezone.now())

    with pytest.raises(OrderNotPayable):
        pay(order, card(VISA))


def test_card_number_is_stored_only_encrypted_and_cvc_never(order, pay):
    from payments.models import CardVault
    from payments.vault import card_reveal

    payment = pay(order, card(VISA, cvc="987"))

    vault = CardVault.objects.get()
    assert VISA.encode() not in bytes(vault.ciphertext)
    assert card_reveal(card=vault) == VISA
    # Every table: payments, attempts, events, the sandbox institution's books, the outbox...
    dumped = stored_text()
    assert VISA not in dumped
    # The CVC as a value of its own anywhere (random ids may contain the digits by chance).
    assert not re.search(r"(?<![0-9A-Za-z])987(?![0-9A-Za-z])", dumped)
    assert payment.card_last4 == "4242"


def test_card_data_never_reaches_the_logs(order, pay, caplog):
    caplog.set_level("DEBUG")

    pay(order, card(PROCESSING_ERROR, cvc="987"))

    assert PROCESSING_ERROR not in caplog.text and "987" not in caplog.text


def test_manual_capture_waits_for_the_merchant(make_order, pay, merchant, assert_invariants):
    from payments.services import payment_capture

    order = make_order(capture_method="manual")
    payment = pay(order, card(VISA))
    assert payment.status == "authorized"
    order.refresh_from_db()
    assert order.status == "pending"

    captured = payment_capture(merchant=merchant, payment_id=payment.public_id, amount=600)

    order.refresh_from_db()
    assert captured.status == "captured" and captured.amount_captured == 600
    assert order.status == "paid"
    assert_invariants()
