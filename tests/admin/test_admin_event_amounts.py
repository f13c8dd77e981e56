"""Event and webhook delivery pages: the raw JSON (minor units, as sent) and, beside it, the
amounts in major units with their currency, in the staff member's language."""

import json

import pytest
from django.urls import reverse

from payments.models import Event
from tests.conftest import event_deliveries

NBSP = "\u00a0"


@pytest.fixture
def euro_payment_event(make_order, pay):
    payment = pay(make_order(amount=123450, currency="EUR"))
    assert payment.status == "captured"
    return Event.objects.filter(object_id=payment.public_id).order_by("-sequence").first()


def _summary(page: str) -> str:
    return page.split('class="amounts-summary"')[1].split("</div>")[0]


def test_event_page_shows_raw_json_and_readable_amounts(login, manager, euro_payment_event):
    client = login(manager)

    page = client.get(
        reverse("admin:payments_event_change", args=[euro_payment_event.pk])
    ).content.decode()

    summary = _summary(page)
    assert "Amount: €1,234.50" in summary
    assert "Captured: €1,234.50" in summary
    assert "Refunded: €0.00" in summary
    assert "123450" not in summary
    assert "&quot;amount&quot;: 123450" in page  # the raw JSON stays, in minor units


def test_event_page_writes_amounts_in_the_staff_members_language(
    login, manager, euro_payment_event
):
    client = login(manager)

    page = client.get(
        reverse("admin:payments_event_change", args=[euro_payment_event.pk]),
        HTTP_ACCEPT_LANGUAGE="de",
    ).content.decode()

    assert f"Amount: 1.234,50{NBSP}€" in _summary(page)
    assert "&quot;amount&quot;: 123450" in page


def test_order_event_lists_the_amounts_of_its_payments_too(login, manager, euro_payment_event):
    order_paid = Event.objects.get(type="order.paid")
    (payment,) = order_paid.data["payments"]
    client = login(manager)

    page = client.get(reverse("admin:payments_event_change", args=[order_paid.pk])).content
    summary = _summary(page.decode())

    assert summary.count("Amount: €1,234.50") == 2  # the order's, then its payment's
    assert f"Payment {payment['id']}" in summary
    assert "Captured: €1,234.50" in summary


def test_delivery_page_shows_the_payload_sent_and_readable_amounts(
    login, manager, merchant, euro_payment_event
):
    from payments.representations import event_data
    from webhooks.services import webhook_endpoint_create

    webhook_endpoint_create(
        merchant=merchant,
        livemode=False,
        url="https://hooks.example.com/payments",
        enabled_events=["*"],
    )
    (delivery,) = event_deliveries(euro_payment_event.pk)
    client = login(manager)

    english = client.get(
        reverse("admin:webhooks_webhookdelivery_change", args=[delivery.pk])
    ).content.decode()
    german = client.get(
        reverse("admin:webhooks_webhookdelivery_change", args=[delivery.pk]),
        HTTP_ACCEPT_LANGUAGE="de",
    ).content.decode()

    assert "Amount: €1,234.50" in _summary(english)
    assert "Refunded: €0.00" in _summary(english)
    assert f"Refunded: 0,00{NBSP}€" in _summary(german)
    payload = english.split('class="raw-json">')[1].split("</pre>")[0]
    sent = json.loads(payload.replace("&quot;", '"').replace("&#x27;", "'").replace("&amp;", "&"))
    assert sent == json.loads(json.dumps(event_data(euro_payment_event)))
    assert sent["data"]["object"]["amount"] == 123450
