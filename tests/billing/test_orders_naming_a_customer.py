"""An order may name the merchant's customer (same mode): the checkout then offers saved cards."""

import pytest

pytestmark = pytest.mark.django_db


def _create(client, **fields):
    body = {"amount": 1000, "currency": "USD", "reference": "order-1", **fields}
    return client.post("/api/v1/orders", body, format="json")


def test_an_order_names_a_customer_and_the_use_of_a_card_saved_at_its_checkout(api, customer):
    response = _create(api, customer=customer["id"], setup_future_usage="off_session")

    assert response.status_code == 201, response.content
    assert response.json()["customer"] == customer["id"]
    assert response.json()["setup_future_usage"] == "off_session"
    assert api.get(f"/api/v1/orders/{response.json()['id']}").json()["customer"] == customer["id"]


def test_an_order_without_customer_says_so(api):
    response = _create(api)

    assert response.json()["customer"] is None
    assert response.json()["setup_future_usage"] == "on_session"


@pytest.mark.parametrize("which", ["unknown", "other_merchant", "live_mode", "deleted", "pm_id"])
def test_a_customer_that_is_not_this_merchants_in_this_mode_is_a_field_error(
    api, other_api, live_api, customer, which
):
    if which == "other_merchant":
        customer_id = other_api.post("/api/v1/customers", {}, format="json").json()["id"]
    elif which == "live_mode":
        customer_id = live_api.post("/api/v1/customers", {}, format="json").json()["id"]
    elif which == "deleted":
        api.delete(f"/api/v1/customers/{customer['id']}")
        customer_id = customer["id"]
    else:
        customer_id = {"unknown": "cus_" + "x" * 24, "pm_id": "pm_" + "x" * 24}[which]

    response = _create(api, customer=customer_id)

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "field": "customer",
            "code": "resource_missing",
            "message": "No such customer: give the id (cus_...) of one of your test-mode customers.",
        }
    ]


def test_off_session_use_needs_a_customer(api):
    response = _create(api, setup_future_usage="off_session")

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "setup_future_usage"
    assert response.json()["errors"][0]["code"] == "customer_required"
