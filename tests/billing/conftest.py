"""Fixtures of the billing tests: the API clients of tests/api and a customer with a card."""

import pytest

from tests.admin.conftest import login, make_staff, manager
from tests.api.conftest import api, create_order, live_api, other_api, pay_order

# Fixtures shared with the API and admin tests, offered to these tests too.
__all__ = ["api", "create_order", "live_api", "login", "make_staff", "manager", "other_api"]
__all__ += ["pay_order"]

CONSENT = {
    "text": "Save this card for future payments, including renewals charged without me.",
    "ip": "203.0.113.7",
    "usage": "off_session",
}


def saved_card_body(number="4242424242424242", *, usage="off_session", **card):
    body = {
        "type": "card",
        "card": {
            "number": number,
            "exp_month": 12,
            "exp_year": 2035,
            "cvc": "123",
            "holder_name": "Ada Lovelace",
            **card,
        },
        "consent": {**CONSENT, "usage": usage},
    }
    return body


@pytest.fixture
def customer(api):
    response = api.post(
        "/api/v1/customers", {"email": "ada@example.com", "name": "Ada"}, format="json"
    )
    assert response.status_code == 201, response.content
    return response.json()


@pytest.fixture
def save_card(api, django_capture_on_commit_callbacks):
    """Save a card for a customer through the API; return the response."""

    def save(customer_id, body=None, client=None, **headers):
        with django_capture_on_commit_callbacks(execute=True):
            return (client or api).post(
                f"/api/v1/customers/{customer_id}/payment-methods",
                body or saved_card_body(),
                format="json",
                **headers,
            )

    return save
