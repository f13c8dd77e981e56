"""Helpers of the subscription tests: everything goes through the merchant API."""

from __future__ import annotations

from .conftest import saved_card_body


class Merchant:
    """A merchant's API client with the few calls a subscription test makes."""

    def __init__(self, api, capture):
        self.api = api
        self.capture = capture  # django_capture_on_commit_callbacks

    def post(self, path, body=None, **headers):
        with self.capture(execute=True):
            return self.api.post(f"/api/v1/{path}", body or {}, format="json", **headers)

    def get(self, path, **params):
        response = self.api.get(f"/api/v1/{path}", params)
        assert response.status_code == 200, response.content
        return response.json()

    def created(self, path, body):
        response = self.post(path, body)
        assert response.status_code == 201, response.content
        return response.json()

    def clock(self, frozen_time):
        return self.created("test-clocks", {"frozen_time": frozen_time})

    def advance(self, clock, frozen_time):
        response = self.post(f"test-clocks/{clock['id']}/advance", {"frozen_time": frozen_time})
        assert response.status_code == 200, response.content
        return self.get(f"test-clocks/{clock['id']}")

    def customer(self, clock=None, email="ada@example.com"):
        body = {"email": email, "name": "Ada"}
        if clock:
            body["test_clock"] = clock["id"]
        return self.created("customers", body)

    def card(self, customer, number="4242424242424242", usage="off_session"):
        response = self.post(
            f"customers/{customer['id']}/payment-methods", saved_card_body(number, usage=usage)
        )
        assert response.status_code in (200, 201), response.content
        return response.json()

    def price(self, amount=1000, currency="USD", interval="month", **extra):
        body = {"product_name": "Pro plan", "amount": amount, "currency": currency}
        return self.created("prices", {**body, "interval": interval, **extra})

    def subscribe(self, customer, price, method, **extra):
        body = {"customer": customer["id"], "price": price["id"], "payment_method": method["id"]}
        return self.created("subscriptions", {**body, **extra})

    def invoices(self, subscription):
        data = self.get("invoices", subscription=subscription["id"])["data"]
        return sorted(data, key=lambda invoice: invoice["created"])

    def attempts(self, subscription):
        return self.get(f"subscriptions/{subscription['id']}/attempts")["data"]

    def subscription(self, subscription):
        return self.get(f"subscriptions/{subscription['id']}")
