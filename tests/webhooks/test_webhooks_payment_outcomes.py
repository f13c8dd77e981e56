"""The authorization result reaches the merchant: a decline with its reason, an approval as a
paid order, both through the API and as a signed webhook (a shopper paying at the checkout)."""

from __future__ import annotations

import pytest
from standardwebhooks import Webhook

from tests.conftest import ISSUER_CVC, NO_FUNDS, VISA

pytestmark = pytest.mark.django_db


@pytest.fixture
def subscribed(api, receiver):
    """The merchant's server registers its webhook endpoint; return the signing secret."""
    response = api.post(
        "/api/v1/webhook-endpoints",
        {"url": receiver.url, "enabled_events": ["payment.declined", "order.paid"]},
        format="json",
    )
    assert response.status_code == 201, response.content
    return response.json()["secret"]


@pytest.fixture
def create_order(api):
    """The merchant's server creates an order; return its JSON (with its checkout_url)."""
    counter = {"n": 0}

    def create(amount: int = 1000) -> dict:
        counter["n"] += 1
        body = {"amount": amount, "currency": "USD", "reference": f"shop-{counter['n']}"}
        response = api.post("/api/v1/orders", body, format="json")
        assert response.status_code == 201, response.content
        return response.json()

    return create


@pytest.fixture
def shopper_pays(client, django_capture_on_commit_callbacks):
    """A shopper submits a card on the hosted checkout of an order created through the API."""

    def submit(order_json: dict, number: str) -> None:
        path = order_json["checkout_url"].split("://", 1)[1].split("/", 1)[1]
        data = {
            "method": "card",
            "number": number,
            "exp": "12 / 35",
            "cvc": "123",
            "holder_name": "Ada Lovelace",
        }
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(f"/{path}", data)
        assert response.status_code == 302, response.content

    return submit


def _events(receiver, secret) -> list[dict]:
    """Every webhook the merchant received, each verified by its signature."""
    return [Webhook(secret).verify(r.body, r.headers) for r in receiver.requests]


@pytest.mark.parametrize(
    ("number", "code", "reason"),
    [
        (NO_FUNDS, "insufficient_funds", "insufficient funds"),
        (ISSUER_CVC, "incorrect_cvc", "security code"),
    ],
)
def test_a_decline_reaches_the_merchant_with_its_reason_by_api_and_by_webhook(
    api, receiver, subscribed, create_order, shopper_pays, number, code, reason
):
    order = create_order()

    shopper_pays(order, number)

    (event,) = _events(receiver, subscribed)
    payment = event["data"]["object"]
    assert event["type"] == "payment.declined"
    assert payment["order"] == order["id"]
    assert payment["decline_code"] == code
    assert reason in payment["decline_message"].lower()
    fetched = api.get(f"/api/v1/payments/{payment['id']}").json()
    assert (fetched["status"], fetched["decline_code"]) == ("declined", code)
    assert fetched["decline_message"] == payment["decline_message"]
    assert api.get(f"/api/v1/orders/{order['id']}").json()["status"] == "pending"


def test_an_approval_after_a_decline_reaches_the_merchant_as_a_paid_order(
    api, receiver, subscribed, create_order, shopper_pays, assert_invariants
):
    order = create_order(amount=2500)

    shopper_pays(order, NO_FUNDS)
    shopper_pays(order, VISA)

    types = [e["type"] for e in _events(receiver, subscribed)]
    assert types == ["payment.declined", "order.paid"]
    paid = _events(receiver, subscribed)[1]["data"]["object"]
    assert (paid["id"], paid["status"]) == (order["id"], "paid")
    assert [p["status"] for p in paid["payments"]] == ["declined", "captured"]
    fetched = api.get(f"/api/v1/orders/{order['id']}").json()
    assert fetched["status"] == "paid" and fetched["paid_at"]
    assert fetched["payments"][1]["amount_captured"] == 2500
    assert_invariants()
