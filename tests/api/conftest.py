"""Fixtures of the API tests: clients authenticated by a merchant's test or live key."""

import pytest
from rest_framework.test import APIClient


def _client_for(merchant, *, livemode: bool = False) -> APIClient:
    from payments.services import api_key_create

    _, raw = api_key_create(merchant=merchant, livemode=livemode)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    client.raw_key = raw
    return client


@pytest.fixture
def api(merchant):
    """A client with the merchant's test key."""
    return _client_for(merchant)


@pytest.fixture
def live_api(merchant):
    """A client with the merchant's live key (live mode enabled for the merchant)."""
    merchant.live_enabled = True
    merchant.save(update_fields=["live_enabled"])
    return _client_for(merchant, livemode=True)


@pytest.fixture
def other_api(other_merchant):
    """A client with another merchant's test key."""
    return _client_for(other_merchant)


@pytest.fixture
def create_order(api):
    """Create an order through the API and return its JSON."""
    counter = {"n": 0}

    def create(client=None, **fields):
        counter["n"] += 1
        body = {"amount": 1000, "currency": "USD", "reference": f"api-order-{counter['n']}"}
        body.update(fields)
        response = (client or api).post("/api/v1/orders", body, format="json")
        assert response.status_code == 201, response.content
        return response.json()

    return create


@pytest.fixture
def pay_order(api, django_capture_on_commit_callbacks):
    """Pay an order through the API with a payment method body; return the response."""

    def pay(order_id, method, client=None, **headers):
        with django_capture_on_commit_callbacks(execute=True):
            return (client or api).post(
                f"/api/v1/orders/{order_id}/payments",
                {"payment_method": method},
                format="json",
                **headers,
            )

    return pay


def card_body(number="4242424242424242", **overrides):
    body = {
        "type": "card",
        "card": {
            "number": number,
            "exp_month": 12,
            "exp_year": 2035,
            "cvc": "1234" if number.startswith(("34", "37")) else "123",
            "holder_name": "Ada Lovelace",
        },
    }
    body["card"].update(overrides)
    return body


@pytest.fixture
def world(api, create_order, pay_order, settings):
    """The merchant's objects every operation of the API acts on, made on first use
    (``tests/api/hostile_kit.py``)."""
    from tests.api.hostile_kit import World

    settings.PAYMENTS_OTP_RESEND_COOLDOWN = 0
    return World(api, create_order, pay_order)


@pytest.fixture
def other_world(other_api, create_order, pay_order):
    """Another merchant's objects, for ids that belong to someone else."""
    from tests.api.hostile_kit import World

    return World(other_api, create_order, pay_order)
