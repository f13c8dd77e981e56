"""Deleting a customer (issue 19) through the API: its subscriptions end, each with
``customer.subscription.deleted``, its saved methods are detached, and its history stays."""

import pytest

from billing.models import PaymentMethod
from payments.models import Event

from .subscription_helpers import Merchant

pytestmark = pytest.mark.django_db

ISSUER_EXPIRED = "4000000000000069"


@pytest.fixture
def m(api, django_capture_on_commit_callbacks):
    return Merchant(api, django_capture_on_commit_callbacks)


def _deleted_events(subscription):
    return Event.objects.filter(
        type="customer.subscription.deleted", object_id=subscription["id"]
    ).count()


def test_deleting_a_customer_cancels_its_subscriptions_detaches_its_cards_and_keeps_invoices(
    m, assert_invariants
):
    clock = m.clock("2026-03-01T00:00:00Z")
    customer = m.customer(clock)
    card = m.card(customer)
    active = m.subscribe(customer, m.price(amount=1000), card)
    paused = m.subscribe(customer, m.price(amount=2000), card)
    trialing = m.subscribe(customer, m.price(amount=3000, trial_days=30), card)
    past_due = m.subscribe(
        customer, m.price(amount=500, trial_days=7), m.card(customer, ISSUER_EXPIRED)
    )
    ended = m.subscribe(customer, m.price(amount=700), card)
    assert m.post(f"subscriptions/{ended['id']}/cancel").status_code == 200
    assert m.post(f"subscriptions/{paused['id']}/pause").status_code == 200
    m.advance(clock, "2026-03-12T00:00:00Z")
    before = {s["id"]: m.subscription(s)["status"] for s in (active, paused, trialing, past_due)}
    assert before == {
        active["id"]: "active",
        paused["id"]: "paused",
        trialing["id"]: "trialing",
        past_due["id"]: "past_due",
    }
    paid_invoice = m.invoices(active)[0]
    assert paid_invoice["status"] == "paid"

    with m.capture(execute=True):
        response = m.api.delete(f"/api/v1/customers/{customer['id']}")

    assert response.status_code == 200 and response.json()["deleted"] is True
    for subscription in (active, paused, trialing, past_due):
        after = m.subscription(subscription)
        assert after["status"] == "canceled", after
        assert _deleted_events(subscription) == 1
    assert _deleted_events(ended) == 1  # ended before: not canceled twice
    # History stays: the paid invoice is still paid, the unpaid one is voided, not deleted.
    assert m.invoices(active)[0] == paid_invoice
    assert [invoice["status"] for invoice in m.invoices(past_due)] == ["void"]
    assert not PaymentMethod.objects.filter(
        customer__public_id=customer["id"], detached_at__isnull=True
    ).exists()
    assert PaymentMethod.objects.filter(customer__public_id=customer["id"]).count() == 2
    assert_invariants()


def test_a_customer_without_subscriptions_is_deleted_as_before(m):
    customer = m.customer()
    m.card(customer)

    response = m.api.delete(f"/api/v1/customers/{customer['id']}")

    assert response.status_code == 200
    assert not Event.objects.filter(type="customer.subscription.deleted").exists()
