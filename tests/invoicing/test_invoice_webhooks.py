"""Merchants subscribe to invoice events: finalized, paid, payment_failed, overdue, and
credit_note.created each reach their endpoint."""

import pytest

from tests.invoicing.test_pay_link import card_data
from tests.webhooks.conftest import make_endpoint, receiver
from webhooks.models import WebhookDelivery

__all__ = ["make_endpoint", "receiver"]

pytestmark = pytest.mark.django_db

EVENTS = [
    "invoice.finalized",
    "invoice.paid",
    "invoice.payment_failed",
    "invoice.overdue",
    "credit_note.created",
]


def _delivered() -> list[str]:
    return sorted(set(WebhookDelivery.objects.values_list("event__type", flat=True)))


def test_invoice_events_are_delivered_to_an_endpoint_that_asks_for_them(
    api, make_endpoint, open_invoice, pay, checkout, django_capture_on_commit_callbacks
):
    make_endpoint(enabled_events=EVENTS)
    invoice = open_invoice()
    checkout(pay(invoice, "100.00"), **card_data("4000 0000 0000 9995"))  # declined
    checkout(pay(invoice), **card_data())
    with django_capture_on_commit_callbacks(execute=True):
        api.post(
            f"/api/v1/invoices/{invoice['id']}/credit-notes",
            {"amount": 100, "reason": "other"},
            format="json",
        )
    assert _delivered() == sorted(set(EVENTS) - {"invoice.overdue"})
    assert not WebhookDelivery.objects.filter(event__type="order.paid").exists()


def test_an_endpoint_cannot_ask_for_an_unknown_invoice_event(api):
    response = api.post(
        "/api/v1/webhook-endpoints",
        {"url": "https://hooks.example.com/in", "enabled_events": ["invoice.exploded"]},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "invalid_event_type"
