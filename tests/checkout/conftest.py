"""Helpers of the checkout tests: submit the payment form as a shopper's browser would."""

import os

import pytest

# Playwright's sync API runs an event loop in the test thread; the ORM calls made beside it are
# still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pay_path(order) -> str:
    return f"/checkout/{order.checkout_token}/"


def payment_path(payment) -> str:
    return f"/checkout/{payment.order.checkout_token}/payments/{payment.public_id}/"


@pytest.fixture
def submit_card(client):
    def submit(order, number="4242 4242 4242 4242", exp="12 / 35", cvc="123", name="Ada Lovelace"):
        data = {"method": "card", "number": number, "exp": exp, "cvc": cvc, "holder_name": name}
        return client.post(pay_path(order), data)

    return submit
