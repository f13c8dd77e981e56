"""Saving by API a card whose issuer verifies its holder: ``requires_action`` until the code."""

import re

import pytest

from billing.models import PaymentMethod, PaymentMethodVerification
from payments.models import Event, Payment

from .conftest import saved_card_body

pytestmark = pytest.mark.django_db

OTP_CARD = "4000000000003220"
SAVES_THEN_LOST = "4000000000000341"


def _methods_path(customer, method=None):
    path = f"/api/v1/customers/{customer['id']}/payment-methods"
    return f"{path}/{method['id']}" if method else path


def _code(api, customer, method) -> str:
    response = api.get(_methods_path(customer, method) + "/otp-messages")
    assert response.status_code == 200, response.content
    (message,) = response.json()["data"]
    assert message["to"] == "+15555550123"
    return message["code"]


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


@pytest.fixture
def otp_method(customer, save_card):
    response = save_card(customer["id"], saved_card_body(OTP_CARD))
    assert response.status_code == 201, response.content
    return response.json()


def test_a_card_whose_issuer_asks_for_a_code_is_saved_requires_action_with_how_to_verify(
    customer, otp_method
):
    assert otp_method["status"] == "requires_action"
    path = _methods_path(customer, otp_method)
    assert otp_method["next_action"] == {
        "type": "otp",
        "channel": "sms",
        "masked_destination": "+1 ••• ••• 0123",
        "expires_at": otp_method["next_action"]["expires_at"],
        "verify_url": f"{path}/otp",
        "resend_url": f"{path}/otp/resend",
    }
    assert otp_method["next_action"]["expires_at"]


def test_a_card_whose_issuer_asks_nothing_is_active_at_once(customer, save_card):
    response = save_card(customer["id"], saved_card_body("4242424242424242"))

    assert response.json()["status"] == "active"
    assert response.json()["next_action"] is None


def test_a_method_requires_action_cannot_be_charged(
    api, customer, otp_method, create_order, pay_order
):
    order = create_order()

    response = pay_order(order["id"], {"type": "saved", "id": otp_method["id"]})

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "payment_method.id"
    assert response.json()["errors"][0]["code"] == "payment_method_requires_action"
    assert not Payment.objects.exists()


def test_the_right_code_makes_the_method_active_and_chargeable(
    api, customer, otp_method, create_order, pay_order, assert_invariants
):
    code = _code(api, customer, otp_method)

    response = api.post(_methods_path(customer, otp_method) + "/otp", {"code": code}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "active" and response.json()["next_action"] is None
    assert Event.objects.filter(object_id=otp_method["id"], type="payment_method.updated").exists()
    # The same code does not work twice.
    again = api.post(_methods_path(customer, otp_method) + "/otp", {"code": code}, format="json")
    assert again.status_code == 409
    # The method is accepted for payment now. (The sandbox issuer of this card still asks its
    # holder for a code on each payment, so the payment itself waits for one.)
    paid = pay_order(create_order()["id"], {"type": "saved", "id": otp_method["id"]})
    assert paid.status_code == 201, paid.content
    assert paid.json()["status"] == "requires_action"
    assert_invariants()


def test_a_wrong_code_counts_and_the_last_one_detaches_the_method(api, customer, otp_method):
    path = _methods_path(customer, otp_method) + "/otp"
    wrong = _wrong(_code(api, customer, otp_method))

    first = api.post(path, {"code": wrong}, format="json")

    assert first.status_code == 400
    assert first.json()["code"] == "otp_invalid"
    assert first.json()["attempts_remaining"] == 2
    # Past the back-off between wrong codes (django-otp's), the tries go on.
    for code in ("otp_invalid", "authentication_failed"):
        PaymentMethodVerification.objects.update(throttling_failure_timestamp=None)
        response = api.post(path, {"code": wrong}, format="json")
        assert response.status_code == 400
        assert response.json()["code"] == code
    method = PaymentMethod.objects.get(public_id=otp_method["id"])
    assert method.detached_at is not None and method.status == "requires_action"
    listed = api.get(_methods_path(customer)).json()["data"]
    assert otp_method["id"] not in [m["id"] for m in listed]


def test_a_new_code_replaces_the_old_one(api, customer, otp_method, settings):
    settings.PAYMENTS_OTP_RESEND_COOLDOWN = 0
    old = _code(api, customer, otp_method)

    resent = api.post(_methods_path(customer, otp_method) + "/otp/resend", format="json")

    assert resent.status_code == 200, resent.content
    new = _code(api, customer, otp_method)
    path = _methods_path(customer, otp_method) + "/otp"
    if old != new:
        assert api.post(path, {"code": old}, format="json").status_code == 400
        PaymentMethodVerification.objects.update(throttling_failure_timestamp=None)
    assert api.post(path, {"code": new}, format="json").json()["status"] == "active"


def test_saving_the_card_again_returns_the_method_still_waiting(customer, save_card, otp_method):
    again = save_card(customer["id"], saved_card_body(OTP_CARD))

    assert again.status_code == 200
    assert again.json()["id"] == otp_method["id"]
    assert again.json()["status"] == "requires_action"


def test_an_active_method_has_nothing_to_verify(api, customer, save_card):
    method = save_card(customer["id"], saved_card_body("4242424242424242")).json()

    response = api.post(_methods_path(customer, method) + "/otp", {"code": "123456"}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "invalid_state"


def test_the_code_messages_are_for_test_keys_only(live_api, api, customer, otp_method):
    response = live_api.get(_methods_path(customer, otp_method) + "/otp-messages")

    assert response.status_code == 404
    assert re.fullmatch(r"\d{6}", _code(api, customer, otp_method))


def test_the_0341_card_saves_active_without_asking_its_issuer_and_declines_every_charge(
    customer, save_card, create_order, pay_order
):
    saved = save_card(customer["id"], saved_card_body(SAVES_THEN_LOST))

    assert saved.status_code == 201 and saved.json()["status"] == "active"
    for _ in range(2):
        paid = pay_order(create_order()["id"], {"type": "saved", "id": saved.json()["id"]})
        assert paid.json()["status"] == "declined"
        assert paid.json()["decline_code"] == "lost_card"
