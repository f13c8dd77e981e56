"""Paying an order with a saved card through the API: merchant-initiated, no CVC, consent."""

import pytest

from billing.models import PaymentMethod
from payments.errors import ValidationFailed
from payments.models import Order, Payment
from payments.services import payment_create_saved

from .conftest import saved_card_body

pytestmark = pytest.mark.django_db

SAVES_THEN_LOST = "4000000000000341"


@pytest.fixture
def sent(monkeypatch):
    """The authorization requests sent to institutions, recorded as they go."""
    import payments.services.payments as module

    requests = []
    real = module.connector_for

    def connector_for(code):
        connector = real(code)
        authorize = connector.authorize

        def recorded(request):
            requests.append(request)
            return authorize(request)

        connector.authorize = recorded
        return connector

    monkeypatch.setattr(module, "connector_for", connector_for)
    return requests


def _saved(save_card, customer, number="4242424242424242", usage="off_session"):
    response = save_card(customer["id"], saved_card_body(number, usage=usage))
    assert response.status_code == 201, response.content
    return response.json()


def _pay_saved(pay_order, order_id, method_id, **headers):
    return pay_order(order_id, {"type": "saved", "id": method_id}, **headers)


def test_a_saved_card_pays_without_a_cvc_flagged_merchant_initiated(
    customer, save_card, create_order, pay_order, sent, assert_invariants
):
    method = _saved(save_card, customer)
    order = create_order(amount=1999)

    response = _pay_saved(pay_order, order["id"], method["id"])

    assert response.status_code == 201, response.content
    payment = response.json()
    assert payment["status"] == "captured" and payment["amount_captured"] == 1999
    assert payment["payment_method"] == {
        "type": "card",
        "card": {"brand": "visa", "last4": "4242", "exp_month": 12, "exp_year": 2035},
    }
    (request,) = sent
    assert request.merchant_initiated is True
    assert request.method.cvc == "" and request.method.card_number == "4242424242424242"
    stored = Payment.objects.get(public_id=payment["id"])
    assert stored.card_id == PaymentMethod.objects.get(public_id=method["id"]).card_id
    assert_invariants()


def test_a_card_saved_for_on_session_use_is_not_charged_by_the_merchant(
    customer, save_card, create_order, pay_order, sent
):
    method = _saved(save_card, customer, usage="on_session")
    order = create_order()

    response = _pay_saved(pay_order, order["id"], method["id"])

    assert response.status_code == 400
    errors = {(e["field"], e["code"]) for e in response.json()["errors"]}
    assert errors == {("payment_method.id", "off_session_consent_missing")}
    assert sent == [] and not Payment.objects.exists()


def test_the_0341_card_saves_fine_and_every_charge_declines_lost_card(
    customer, save_card, create_order, pay_order, assert_invariants
):
    method = _saved(save_card, customer, SAVES_THEN_LOST)

    for _ in range(2):
        response = _pay_saved(pay_order, create_order()["id"], method["id"])

        assert response.status_code == 201
        assert response.json()["status"] == "declined"
        assert response.json()["decline_code"] == "lost_card"
    assert_invariants()


@pytest.mark.parametrize("which", ["unknown", "detached", "other_merchant", "not_an_id"])
def test_a_method_that_is_not_this_merchants_attached_one_is_a_400(
    api, other_api, customer, save_card, create_order, pay_order, which
):
    if which == "other_merchant":
        theirs = other_api.post("/api/v1/customers", {}, format="json").json()
        method_id = save_card(theirs["id"], client=other_api).json()["id"]
    elif which == "detached":
        method_id = _saved(save_card, customer)["id"]
        api.delete(f"/api/v1/customers/{customer['id']}/payment-methods/{method_id}")
    else:
        method_id = {"unknown": "pm_" + "x" * 24, "not_an_id": "nothing"}[which]

    response = _pay_saved(pay_order, create_order()["id"], method_id)

    assert response.status_code == 400
    assert response.json()["errors"][0] == {
        "field": "payment_method.id",
        "code": "resource_missing",
        "message": "No such saved payment method.",
    }


@pytest.mark.parametrize(
    ("method", "field", "code"),
    [
        ({"type": "saved"}, "payment_method.id", "required"),
        (
            {"type": "saved", "id": "pm_x", "card": saved_card_body()["card"]},
            "payment_method.card",
            "not_for_this_type",
        ),
        (
            {"type": "card", "id": "pm_x", **saved_card_body()},
            "payment_method.id",
            "not_for_this_type",
        ),
    ],
)
def test_a_saved_method_body_of_the_wrong_shape_is_a_400(
    create_order, pay_order, method, field, code
):
    method = {k: v for k, v in method.items() if k != "consent"}

    response = pay_order(create_order()["id"], method)

    assert response.status_code == 400, response.content
    assert (field, code) in {(e["field"], e["code"]) for e in response.json()["errors"]}


def test_a_saved_card_that_expired_since_is_refused(merchant, customer, save_card, create_order):
    method = _saved(save_card, customer)
    PaymentMethod.objects.filter(public_id=method["id"]).update(card_exp_year=2024)
    order = Order.objects.get(public_id=create_order()["id"])

    with pytest.raises(ValidationFailed) as caught:
        payment_create_saved(order=order, method_id=method["id"])

    assert [e.code for e in caught.value.errors] == ["expired_card"]


def test_a_card_of_no_known_brand_saves_and_its_charge_is_declined_not_refused(
    customer, save_card, create_order, pay_order
):
    method = _saved(save_card, customer, "1234567812345670")  # Luhn-valid, no brand's BIN

    response = _pay_saved(pay_order, create_order()["id"], method["id"])

    assert method["card"]["brand"] == "" and method["card"]["last4"] == "5670"
    assert response.status_code == 201
    assert response.json()["decline_code"] == "card_not_supported"
