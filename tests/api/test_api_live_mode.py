"""Live keys only work once live mode is enabled; sandbox tools never reach another merchant."""

import pytest

from tests.api.conftest import _client_for

pytestmark = pytest.mark.django_db


def test_live_key_of_a_merchant_without_live_mode_is_refused(merchant):
    client = _client_for(merchant, livemode=True)

    response = client.get("/api/v1/orders")

    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/problem+json")
    assert "Live mode" in response.json()["detail"]


def test_another_merchant_cannot_simulate_my_bank_transfer(api, other_api, create_order):
    order = create_order()
    payment = api.post(
        f"/api/v1/orders/{order['id']}/payments",
        {"payment_method": {"type": "bank_transfer"}},
        format="json",
    ).json()
    reference = payment["next_action"]["reference"]

    response = other_api.post(
        "/api/v1/sandbox/bank-transfers",
        {"reference": reference, "amount": order["amount"]},
        format="json",
    )

    assert response.status_code == 404
    assert api.get(f"/api/v1/payments/{payment['id']}").json()["status"] == "processing"


def test_a_live_payment_without_a_live_institution_is_refused_and_writes_nothing(
    live_api, pay_order, create_order
):
    """Issue 17, point 11: a live key's 4242 payment never reaches the sandbox Visa issuer."""
    from institutions.models import SandboxAuthorization
    from payments.models import Payment
    from tests.api.conftest import card_body

    order = create_order(client=live_api)

    response = pay_order(order["id"], card_body(), client=live_api)

    assert response.status_code == 422, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["code"] == "no_live_institution"
    assert "live payments need a configured institution" in problem["detail"].lower()
    assert not Payment.objects.filter(order__public_id=order["id"]).exists()
    assert not SandboxAuthorization.objects.exists()
    assert live_api.get(f"/api/v1/orders/{order['id']}").json()["status"] == "pending"


@pytest.mark.parametrize(
    "method",
    [{"type": "wallet", "wallet": {"phone": "+15555550100"}}, {"type": "bank_transfer"}],
)
def test_live_wallet_and_transfer_payments_are_refused_too(
    live_api, pay_order, create_order, method
):
    order = create_order(client=live_api)

    response = pay_order(order["id"], method, client=live_api)

    assert response.status_code == 422
    assert response.json()["code"] == "no_live_institution"
