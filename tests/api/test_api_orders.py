"""Orders through the API: create, retrieve, list with filters, cancel."""

import pytest

pytestmark = pytest.mark.django_db


def test_order_is_created_with_checkout_url_and_key_mode(api, merchant):
    response = api.post(
        "/api/v1/orders",
        {
            "amount": 2500,
            "currency": "USD",
            "reference": "inv-1",
            "description": "Two books",
            "customer_email": "ada@example.com",
            "return_url": "https://shop.example.com/done",
            "capture_method": "manual",
            "metadata": {"cart": "42"},
        },
        format="json",
    )

    assert response.status_code == 201
    body = response.json()
    assert body["object"] == "order"
    assert body["id"].startswith("ord_")
    assert body["status"] == "pending"
    assert body["amount"] == 2500
    assert body["livemode"] is False
    assert body["capture_method"] == "manual"
    assert body["metadata"] == {"cart": "42"}
    assert "/checkout/" in body["checkout_url"]
    assert body["payments"] == []
