"""Fixtures of the risk tests: the API clients of tests/api, and paying from a shopper's IP."""

import pytest

from tests.admin.conftest import login, make_staff, manager
from tests.api.conftest import api, create_order, live_api, other_api, pay_order

__all__ = ["api", "create_order", "live_api", "login", "make_staff", "manager", "other_api"]
__all__ += ["pay_order"]

#: Documentation ranges that ``risk.geo`` places in a country (RFC 5737).
US_IP = "192.0.2.10"
GB_IP = "198.51.100.10"
DE_IP = "203.0.113.10"
CARD = {
    "number": "4242424242424242",
    "exp_month": 12,
    "exp_year": 2035,
    "cvc": "123",
    "holder_name": "Ada Lovelace",
}


@pytest.fixture
def rule(api):
    """Create a rule through the API and return its JSON."""

    def create(expression, action="block", mode="active", name="test rule", points=None):
        body = {"name": name, "expression": expression, "action": action, "mode": mode}
        if points is not None:
            body["points"] = points
        response = api.post("/api/v1/risk/rules", body, format="json")
        assert response.status_code == 201, response.content
        return response.json()

    return create


@pytest.fixture
def pay_from(api, create_order, django_capture_on_commit_callbacks):
    """Create an order of ``amount`` and pay it by card from the shopper address ``ip``."""

    def pay(*, amount=1000, ip=US_IP, number=CARD["number"], email="", client=None, **order):
        fields = {"amount": amount, **order}
        if email:
            fields["customer_email"] = email
        created = create_order(client=client, **fields)
        headers = {"HTTP_SHOPPER_IP": ip} if ip else {}
        with django_capture_on_commit_callbacks(execute=True):
            response = (client or api).post(
                f"/api/v1/orders/{created['id']}/payments",
                {"payment_method": {"type": "card", "card": {**CARD, "number": number}}},
                format="json",
                **headers,
            )
        assert response.status_code == 201, response.content
        return response.json()

    return pay
