"""Fixtures of the invoicing tests: API clients, a customer, and drafts made through the API."""

import os

import pytest

from tests.admin.conftest import login, make_staff, manager
from tests.api.conftest import api, live_api, other_api

# Playwright's sync API runs an event loop in the test thread; the ORM calls beside it are sync.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

__all__ = ["api", "live_api", "login", "make_staff", "manager", "other_api"]

LINES = [
    {
        "description": "Consulting, November",
        "quantity": 3,
        "unit_amount": 15000,
        "tax_rate_bps": 2000,
    },
    {"description": "Travel", "quantity": 1, "unit_amount": 4250, "tax_rate_bps": 0},
]


@pytest.fixture
def customer(api):
    response = api.post(
        "/api/v1/customers", {"email": "ap@acme.example", "name": "Acme GmbH"}, format="json"
    )
    assert response.status_code == 201, response.content
    return response.json()


@pytest.fixture
def create_invoice(api, customer):
    """Create a draft through the API; return its JSON."""

    def create(client=None, **fields):
        body = {"customer": customer["id"], "currency": "EUR", "lines": LINES}
        body.update(fields)
        response = (client or api).post("/api/v1/invoices", body, format="json")
        assert response.status_code == 201, response.content
        return response.json()

    return create


@pytest.fixture
def open_invoice(api, create_invoice, django_capture_on_commit_callbacks):
    """Create and finalize an invoice through the API; return its JSON."""

    def make(**fields):
        draft = create_invoice(**fields)
        with django_capture_on_commit_callbacks(execute=True):
            response = api.post(f"/api/v1/invoices/{draft['id']}/finalize")
        assert response.status_code == 200, response.content
        return response.json()

    return make


@pytest.fixture
def pay(client):
    """Start paying ``amount`` ("" for all that is due) on the hosted page; return the order."""
    from urllib.parse import urlsplit

    from payments.models import Order

    def start(invoice, amount=""):
        response = client.post(urlsplit(invoice["hosted_invoice_url"]).path, {"amount": amount})
        assert response.status_code == 302, response.content.decode()[:2000]
        token = response["Location"].rstrip("/").rsplit("/", 1)[-1]
        return Order.objects.get(checkout_token=token)

    return start


@pytest.fixture
def checkout(client, django_capture_on_commit_callbacks):
    """Pay an order on the hosted checkout as the payer's browser does; return the page URL."""

    def submit(order, **data):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(f"/checkout/{order.checkout_token}/", data)
        assert response.status_code == 302, response.content.decode()[:2000]
        return response["Location"]

    return submit
