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
