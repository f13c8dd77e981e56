"""The JSON API ignores Accept-Language: integer minor units and English messages for everyone."""

import pytest

pytestmark = pytest.mark.django_db


def test_order_amount_stays_integer_minor_units_for_a_german_client(api):
    response = api.post(
        "/api/v1/orders",
        {"amount": 123450, "currency": "EUR", "reference": "de-1"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="de",
    )

    assert response.status_code == 201, response.content
    assert response.json()["amount"] == 123450
    assert response.json()["currency"] == "EUR"
    fetched = api.get(f"/api/v1/orders/{response.json()['id']}", HTTP_ACCEPT_LANGUAGE="de")
    assert fetched.json()["amount"] == 123450
    assert "Accept-Language" not in fetched.get("Vary", "")


def test_validation_messages_stay_english_for_a_german_client(api):
    response = api.post(
        "/api/v1/orders", {"currency": "EUR"}, format="json", HTTP_ACCEPT_LANGUAGE="de"
    )

    assert response.status_code == 400
    messages = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert messages["amount"] == "This field is required."
