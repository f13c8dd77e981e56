"""Saved cards on the hosted checkout, through HTTP: saving with consent, offering, paying."""

import re

import pytest

from billing.models import PaymentMethod
from billing.services import customer_create
from payments.models import CardSaveConsent, OutboxMessage, Payment
from tests.conftest import NO_FUNDS, OTP_CARD, VISA

from .conftest import pay_path, payment_path

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer(merchant):
    return customer_create(merchant=merchant, email="ada@example.com", name="Ada")


@pytest.fixture
def customer_order(make_order, customer):
    def make(**kwargs):
        return make_order(customer=customer.public_id, **kwargs)

    return make


def _save_and_pay(client, order, number=VISA, *, save=True, cvc="123", headers=None, **extra):
    data = {
        "method": "card",
        "number": number,
        "exp": "12 / 35",
        "cvc": cvc,
        "holder_name": "Ada Lovelace",
        **({"save_card": "1"} if save else {}),
        **extra,
    }
    return client.post(pay_path(order), data, REMOTE_ADDR="198.51.100.23", **(headers or {}))


def test_the_save_box_and_its_consent_show_only_for_an_order_naming_a_customer(
    client, make_order, customer_order
):
    plain = client.get(pay_path(make_order())).content.decode()
    named = client.get(pay_path(customer_order())).content.decode()

    assert "save_card" not in plain
    assert '<label class="check" for="save_card">' in named
    assert 'aria-describedby="save_card-consent"' in named
    assert "It is not charged without me." in named


def test_a_ticked_box_saves_the_card_with_the_consent_once_the_payment_succeeds(
    client, customer, customer_order
):
    order = customer_order()

    response = _save_and_pay(client, order)

    payment = Payment.objects.get(order=order)
    assert response.status_code == 302 and payment.status == "captured"
    method = PaymentMethod.objects.get(customer=customer)
    assert (method.card_brand, method.card_last4, method.status) == ("visa", "4242", "active")
    assert method.consent_usage == "on_session"
    assert str(method.consent_ip) == "198.51.100.23"
    label, _, words = method.consent_text.partition(". ")
    assert label == "Save this card for future payments"
    assert words.startswith("I allow")
    assert words in client.get(pay_path(customer_order())).content.decode()
    assert method.card_id == payment.card_id
    assert CardSaveConsent.objects.get(payment=payment).method_id == method.public_id
    page = client.get(payment_path(payment)).content.decode()
    assert "is saved for your future payments" in page


def test_an_order_asking_off_session_records_that_use_and_says_so(client, customer, customer_order):
    order = customer_order(setup_future_usage="off_session")
    assert "when I am not present" in client.get(pay_path(order)).content.decode()

    _save_and_pay(client, order)

    method = PaymentMethod.objects.get(customer=customer)
    assert method.consent_usage == "off_session"
    assert "when I am not present" in method.consent_text


def test_a_german_shopper_reads_the_consent_in_german_and_it_is_recorded_as_read(
    client, merchant, customer, customer_order
):
    order = customer_order(setup_future_usage="off_session")
    german = {"HTTP_ACCEPT_LANGUAGE": "de-DE,de;q=0.9"}
    words = (
        f"Ich erlaube {merchant.name}, diese Karte zu speichern und für meine künftigen "
        f"Zahlungen an {merchant.name} zu belasten"
    )
    assert words in client.get(pay_path(order), **german).content.decode()

    _save_and_pay(client, order, headers=german)

    method = PaymentMethod.objects.get(customer=customer)
    assert method.consent_text.startswith(f"Diese Karte für künftige Zahlungen speichern. {words}")


def test_an_unticked_box_or_a_declined_payment_saves_nothing(client, customer, customer_order):
    _save_and_pay(client, customer_order(), save=False)
    _save_and_pay(client, customer_order(), NO_FUNDS)

    assert not PaymentMethod.objects.exists()


def test_a_card_that_asks_for_a_code_is_saved_once_the_code_is_verified(
    client, customer, customer_order
):
    order = customer_order()
    _save_and_pay(client, order, OTP_CARD)
    payment = Payment.objects.get(order=order)
    assert payment.status == "requires_action" and not PaymentMethod.objects.exists()

    body = OutboxMessage.objects.get(payment=payment).body
    code = re.search(r"\b(\d{6})\b", body).group(1)
    response = client.post(payment_path(payment) + "verify", {"code": code})

    assert response.status_code == 302
    method = PaymentMethod.objects.get(customer=customer)
    assert method.card_last4 == "3220" and method.status == "active"


def test_saving_the_same_card_again_returns_the_same_method(client, customer, customer_order):
    _save_and_pay(client, customer_order())
    second = customer_order()

    _save_and_pay(client, second, saved_card="")

    assert PaymentMethod.objects.filter(customer=customer).count() == 1
    (only,) = PaymentMethod.objects.all()
    assert CardSaveConsent.objects.get(payment__order=second).method_id == only.public_id


def test_the_saved_cards_are_offered_and_one_pays_the_next_order(
    client, customer, customer_order, assert_invariants
):
    _save_and_pay(client, customer_order())
    method = PaymentMethod.objects.get()
    order = customer_order(amount=2500)

    page = client.get(pay_path(order)).content.decode()
    assert "Visa •••• 4242" in page and "Expires 12/35" in page
    assert f'value="{method.public_id}" checked' in page
    assert "Use another card" in page

    response = client.post(pay_path(order), {"method": "card", "saved_card": method.public_id})

    payment = Payment.objects.get(order=order)
    assert response.status_code == 302, response.content
    assert payment.status == "captured" and payment.amount_captured == 2500
    assert payment.card_id == method.card_id
    assert payment.attempts.count() == 1
    assert_invariants()


def test_another_customers_card_cannot_be_chosen(client, merchant, customer_order, make_order):
    other = customer_create(merchant=merchant, email="grace@example.com")
    _save_and_pay(client, make_order(customer=other.public_id))
    theirs = PaymentMethod.objects.get(customer=other)
    order = customer_order()

    response = client.post(pay_path(order), {"method": "card", "saved_card": theirs.public_id})

    assert response.status_code == 200
    assert "Choose one of your saved cards." in response.content.decode()
    assert not Payment.objects.filter(order=order).exists()


def test_a_method_waiting_for_verification_is_not_offered(client, customer, customer_order):
    from billing.services import payment_method_attach

    payment_method_attach(
        customer=customer,
        number=OTP_CARD,
        exp_month=12,
        exp_year=2035,
        cvc="123",
        holder_name="Ada",
        consent_text="Save it",
        consent_ip="203.0.113.1",
        consent_usage="on_session",
    )

    page = client.get(pay_path(customer_order())).content.decode()
    assert "•••• 3220" not in page and "saved-cards" not in page


def test_the_0341_card_saved_for_the_customer_declines_lost_card_at_the_checkout(
    client, customer, customer_order
):
    from billing.services import payment_method_attach

    method, _ = payment_method_attach(
        customer=customer,
        number="4000000000000341",
        exp_month=12,
        exp_year=2035,
        cvc="123",
        holder_name="Ada",
        consent_text="Save it",
        consent_ip="203.0.113.1",
        consent_usage="on_session",
    )
    order = customer_order()

    client.post(pay_path(order), {"method": "card", "saved_card": method.public_id})

    payment = Payment.objects.get(order=order)
    assert payment.status == "declined" and payment.decline_code == "lost_card"


def test_an_expired_saved_card_is_not_offered(client, customer, customer_order):
    _save_and_pay(client, customer_order())
    PaymentMethod.objects.update(card_exp_year=2020)

    page = client.get(pay_path(customer_order())).content.decode()

    assert "•••• 4242" not in page and "saved-cards" not in page


def test_the_page_reads_the_saved_cards_in_one_query_however_many(client, customer, customer_order):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries() -> int:
        order = customer_order()
        with CaptureQueriesContext(connection) as captured:
            assert client.get(pay_path(order)).status_code == 200
        return len(captured)

    _save_and_pay(client, customer_order())
    one = queries()
    for number in ("5555555555554444", "378282246310005"):
        cvc = "1234" if number.startswith("37") else "123"
        _save_and_pay(client, customer_order(), number, cvc=cvc)

    assert PaymentMethod.objects.count() == 3
    assert queries() == one


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_racing_saves_of_one_card_from_two_payments_make_one_method(customer, customer_order):
    from payments.services import card_save_consent_record, payment_card_save, payment_create
    from tests.conftest import card
    from tests.payments.test_concurrency import race

    payments = []
    for _ in range(2):
        payment = payment_create(order=customer_order(), method=card(VISA))
        card_save_consent_record(
            payment=payment,
            customer=customer.public_id,
            text="Save this card for future payments. I allow it.",
            ip="203.0.113.9",
            usage="on_session",
            holder_name="Ada Lovelace",
        )
        payments.append(payment)

    # Each payment saved twice at once (a reload racing the redirect), both payments at once.
    results = race(4, lambda i: payment_card_save(payment=payments[i % 2]).method_id)

    (method,) = PaymentMethod.objects.filter(customer=customer)
    assert results == [method.public_id] * 4
