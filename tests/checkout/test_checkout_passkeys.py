"""Shoppers' passkeys at the checkout, through HTTP with a software authenticator: what is
refused and why, the code fallback, the limits, and removing a card removes its passkeys."""

import json
import re

import pytest

from billing.models import PaymentMethod, ShopperPasskey
from billing.services import customer_create
from billing.services.methods import payment_method_detach
from payments.models import Order, OutboxMessage, Payment
from payments.representations import payment_data
from tests.conftest import OTP_CARD
from tests.webauthn_soft import SoftAuthenticator

from .conftest import pay_path, payment_path

pytestmark = pytest.mark.django_db

ORIGIN = "http://localhost:8000"


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = ORIGIN


@pytest.fixture
def customer(merchant):
    return customer_create(merchant=merchant, email="ada@example.com", name="Ada")


@pytest.fixture
def saved_otp_card(client, make_order, customer, django_capture_on_commit_callbacks):
    """The customer's OTP card, saved at the checkout after its code; return the method."""
    order = make_order(customer=customer.public_id)
    data = {
        "method": "card",
        "number": OTP_CARD,
        "exp": "12 / 35",
        "cvc": "123",
        "holder_name": "Ada Lovelace",
        "save_card": "on",
    }
    with django_capture_on_commit_callbacks(execute=True):
        client.post(pay_path(order), data, REMOTE_ADDR="127.0.0.1")
    payment = Payment.objects.get(order=order)
    code = re.search(r"\b(\d{6})\b", OutboxMessage.objects.get(payment=payment).body).group(1)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(payment_path(payment) + "verify", {"code": code})
    return PaymentMethod.objects.get(customer=customer)


@pytest.fixture
def authenticator(saved_otp_card):
    device = SoftAuthenticator()
    ShopperPasskey.objects.create(
        payment_method=saved_otp_card,
        credential_id=device.credential_id,
        public_key=device.cose_public_key(),
    )
    return device


@pytest.fixture
def challenged(client, make_order, customer, saved_otp_card, django_capture_on_commit_callbacks):
    """A second order paid with the saved card, waiting for the holder: its payment."""
    order = make_order(amount=2500, customer=customer.public_id)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(pay_path(order), {"method": "card", "saved_card": saved_otp_card.public_id})
    payment = Payment.objects.get(order=order)
    assert payment.status == "requires_action"
    return payment


def _challenge(client, payment) -> str:
    response = client.post(payment_path(payment) + "passkey/options")
    assert response.status_code == 200, response.content
    return response.json()["challenge"]


def _answer(client, payment, credential, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(
            payment_path(payment) + "passkey/verify", {"credential": credential}, follow=True
        )


def test_with_a_passkey_the_code_page_sends_no_code_and_offers_the_passkey_first(
    client, authenticator, challenged
):
    page = client.get(payment_path(challenged)).content.decode()

    assert not OutboxMessage.objects.filter(payment=challenged).exists()
    assert "Verify with your fingerprint or face" in page
    assert "Text me a code instead" in page
    assert 'id="otp-form"' not in page


def test_asking_for_a_code_instead_sends_the_first_code(
    client, authenticator, challenged, django_capture_on_commit_callbacks
):
    client.post(payment_path(challenged) + "resend")

    assert OutboxMessage.objects.filter(payment=challenged).count() == 1
    page = client.get(payment_path(challenged)).content.decode()
    assert 'id="otp-form"' in page
    assert "Verify with your fingerprint or face" in page  # still offered beside the code


def test_a_passkey_answer_pays_and_the_attempt_says_passkey(
    client, authenticator, challenged, django_capture_on_commit_callbacks
):
    answer = authenticator.assertion(_challenge(client, challenged), ORIGIN)

    _answer(client, challenged, answer, django_capture_on_commit_callbacks)

    challenged.refresh_from_db()
    assert challenged.status == "captured"
    assert challenged.order.status == Order.Status.PAID
    assert challenged.attempts.order_by("id").last().authentication_method == "passkey"
    assert payment_data(challenged)["authentication_method"] == "passkey"  # what the API shows
    assert ShopperPasskey.objects.get().sign_count == 1


def test_a_counter_that_went_backwards_declines_with_a_clear_code(
    client, authenticator, challenged, django_capture_on_commit_callbacks
):
    ShopperPasskey.objects.update(sign_count=10)  # a clone answering with an older counter
    answer = authenticator.assertion(_challenge(client, challenged), ORIGIN, counter=5)

    _answer(client, challenged, answer, django_capture_on_commit_callbacks)

    challenged.refresh_from_db()
    assert challenged.status == "declined"
    assert challenged.decline_code == "passkey_counter_regressed"


def test_an_answer_made_on_another_origin_declines_with_a_clear_code(
    client, authenticator, challenged, django_capture_on_commit_callbacks
):
    answer = authenticator.assertion(_challenge(client, challenged), "https://evil.example")

    _answer(client, challenged, answer, django_capture_on_commit_callbacks)

    challenged.refresh_from_db()
    assert challenged.status == "declined"
    assert challenged.decline_code == "passkey_wrong_origin"


def test_a_replayed_answer_is_refused_the_challenge_being_single_use(
    client, authenticator, challenged, django_capture_on_commit_callbacks
):
    answer = authenticator.assertion(_challenge(client, challenged), ORIGIN, verified=False)
    first = _answer(client, challenged, answer, django_capture_on_commit_callbacks)
    assert "did not verify you" in first.content.decode()

    again = _answer(client, challenged, answer, django_capture_on_commit_callbacks)

    assert "expired or was used" in again.content.decode()
    challenged.refresh_from_db()
    assert challenged.status == "requires_action"  # two tries counted, one left


def test_wrong_answers_count_like_wrong_codes_and_decline_at_the_last(
    client, authenticator, challenged, django_capture_on_commit_callbacks, settings
):
    for _ in range(settings.PAYMENTS_OTP_MAX_ATTEMPTS):
        answer = authenticator.assertion(_challenge(client, challenged), ORIGIN, verified=False)
        _answer(client, challenged, answer, django_capture_on_commit_callbacks)

    challenged.refresh_from_db()
    assert challenged.status == "declined"
    assert challenged.decline_code == "authentication_failed"


def test_another_cards_passkey_does_not_verify_this_card(
    client, authenticator, challenged, django_capture_on_commit_callbacks
):
    stranger = SoftAuthenticator()

    _answer(
        client,
        challenged,
        stranger.assertion(_challenge(client, challenged), ORIGIN),
        django_capture_on_commit_callbacks,
    )

    challenged.refresh_from_db()
    assert challenged.status == "requires_action"


def test_removing_the_card_removes_its_passkeys(authenticator, saved_otp_card):
    payment_method_detach(method=saved_otp_card)

    assert not ShopperPasskey.objects.exists()


def test_only_the_public_key_and_id_of_a_passkey_are_kept():
    fields = {f.name for f in ShopperPasskey._meta.concrete_fields}

    assert fields == {
        "id",
        "payment_method",
        "credential_id",
        "public_key",
        "sign_count",
        "created",
        "last_used_at",
    }


def test_after_the_code_the_result_page_offers_a_passkey_for_the_saved_card(client, saved_otp_card):
    payment = Payment.objects.filter(status="captured").get()

    page = client.get(payment_path(payment)).content.decode()
    options = client.post(payment_path(payment) + "passkey/register-options").json()

    assert "Verify with your fingerprint or face next time" in page
    assert options["rp"]["id"] == "localhost"
    assert options["authenticatorSelection"]["userVerification"] == "required"
    assert options["authenticatorSelection"]["residentKey"] == "preferred"


def test_a_payment_without_a_code_offers_no_passkey_registration(client, make_order, customer):
    order = make_order(customer=customer.public_id)
    client.post(
        pay_path(order),
        {
            "method": "card",
            "number": "4242424242424242",
            "exp": "12 / 35",
            "cvc": "123",
            "holder_name": "Ada",
            "save_card": "on",
        },
        REMOTE_ADDR="127.0.0.1",
    )
    payment = Payment.objects.get(order=order)

    response = client.post(payment_path(payment) + "passkey/register-options")

    assert response.status_code == 409
    assert json.loads(response.content)["code"] == "invalid_state"


@pytest.mark.parametrize(
    "credential",
    [
        "",
        "x",
        "{}",
        "[]",
        '{"id": 5}',
        '{"id": "abc", "response": "nope"}',
        '{"id": "abc", "response": {"clientDataJSON": "%%%"}}',
        '{"id": "abc", "response": {"clientDataJSON": "bnVsbA"}}',
        "{" + "a" * 20_000 + "}",
        '{"id": "a\x00b"}',
    ],
)
def test_a_malformed_passkey_answer_is_refused_without_an_error_page(
    client, authenticator, challenged, credential, django_capture_on_commit_callbacks
):
    response = _answer(client, challenged, credential, django_capture_on_commit_callbacks)

    assert response.status_code == 200
    challenged.refresh_from_db()
    assert challenged.status == "requires_action"


@pytest.mark.parametrize("credential", ["", "x", "{}", '{"id": "abc"}', "{" + "a" * 20_000 + "}"])
def test_a_malformed_registration_answer_registers_nothing(client, saved_otp_card, credential):
    payment = Payment.objects.filter(status="captured").get()

    response = client.post(payment_path(payment) + "passkey/register", {"credential": credential})

    assert response.status_code == 302
    assert not ShopperPasskey.objects.exists()


def test_the_sandbox_issuer_refuses_a_stale_passkey_delegation(merchant):
    from datetime import timedelta

    from django.utils import timezone

    from institutions.connector import AuthorizationRequest, DelegatedAuthentication, MethodDetails
    from payments.routing import connector_for

    def authorize(reference, delegated):
        request = AuthorizationRequest(
            reference=reference,
            amount=500,
            currency="USD",
            currency_exponent=2,
            method=MethodDetails(type="card", card_number=OTP_CARD, exp_month=12, exp_year=2035),
            authenticated=True,
            delegated=delegated,
            sandbox_owner=merchant.public_id,
        )
        return connector_for("sandbox_issuer_visa").authorize(request)

    now = timezone.now()
    stale = authorize(
        "att_stale", DelegatedAuthentication("passkey", "Y3JlZA", now - timedelta(hours=1))
    )
    fresh = authorize("att_fresh", DelegatedAuthentication("passkey", "Y3JlZA", now))

    assert (stale.decision, stale.decline_code) == ("declined", "authentication_failed")
    assert fresh.decision == "approved"
