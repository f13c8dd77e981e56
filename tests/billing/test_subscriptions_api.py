"""Subscriptions through the API: start, field errors, idempotency, cancel, pause, resume,
price changes with proration, and clocks that move only their own customers."""

import pytest

from .subscription_helpers import Merchant

pytestmark = pytest.mark.django_db

NO_FUNDS = "4000000000009995"


@pytest.fixture
def m(api, django_capture_on_commit_callbacks):
    return Merchant(api, django_capture_on_commit_callbacks)


@pytest.fixture
def started(m):
    """A monthly 10.00 subscription on a clock at 1 March 2026, paid for March."""
    clock = m.clock("2026-03-01T00:00:00Z")
    customer = m.customer(clock)
    subscription = m.subscribe(customer, m.price(amount=1000), m.card(customer))
    return clock, customer, subscription


def _errors(response):
    return {(e["field"], e["code"]) for e in response.json()["errors"]}


def test_unknown_customer_price_and_card_are_field_errors(m):
    response = m.post(
        "subscriptions", {"customer": "cus_nope", "price": "price_nope", "payment_method": "pm_x"}
    )
    assert response.status_code == 400
    assert _errors(response) == {("customer", "resource_missing"), ("price", "resource_missing")}

    customer = m.customer()
    response = m.post(
        "subscriptions",
        {"customer": customer["id"], "price": m.price()["id"], "payment_method": "pm_nope"},
    )
    assert _errors(response) == {("payment_method", "resource_missing")}


def test_a_card_saved_without_off_session_consent_cannot_start_a_subscription(m):
    customer = m.customer()
    card = m.card(customer, usage="on_session")
    response = m.post(
        "subscriptions",
        {"customer": customer["id"], "price": m.price()["id"], "payment_method": card["id"]},
    )
    assert response.status_code == 400
    assert _errors(response) == {("payment_method", "off_session_consent_missing")}


def test_another_merchants_customer_is_not_found(m, other_api, django_capture_on_commit_callbacks):
    other = Merchant(other_api, django_capture_on_commit_callbacks)
    customer = other.customer()
    card = other.card(customer)
    response = m.post(
        "subscriptions",
        {"customer": customer["id"], "price": m.price()["id"], "payment_method": card["id"]},
    )
    assert response.status_code == 400
    assert ("customer", "resource_missing") in _errors(response)


def test_an_anchor_beyond_one_period_is_refused(m):
    clock = m.clock("2026-03-01T00:00:00Z")
    customer = m.customer(clock)
    body = {
        "customer": customer["id"],
        "price": m.price()["id"],
        "payment_method": m.card(customer)["id"],
        "billing_cycle_anchor": "2026-05-01T00:00:00Z",
    }
    response = m.post("subscriptions", body)
    assert response.status_code == 400
    assert _errors(response) == {("billing_cycle_anchor", "out_of_range")}


def test_an_anchor_makes_a_prorated_stub_then_full_periods_from_it(m):
    clock = m.clock("2026-03-01T00:00:00Z")
    customer = m.customer(clock)
    subscription = m.subscribe(
        customer,
        m.price(amount=3100),
        m.card(customer),
        billing_cycle_anchor="2026-03-11T00:00:00Z",
    )
    # 10 of the 28 days of the period 11 Feb - 11 Mar: round(3100 × 10 / 28) = 1107.
    assert subscription["current_period_end"] == "2026-03-11T00:00:00Z"
    (stub,) = m.invoices(subscription)
    assert stub["total"] == 1107 and stub["status"] == "paid"

    m.advance(clock, "2026-03-12T00:00:00Z")
    invoices = m.invoices(subscription)
    assert invoices[1]["total"] == 3100
    assert invoices[1]["period_end"] == "2026-04-11T00:00:00Z"


def test_the_same_idempotency_key_creates_one_subscription(m):
    clock = m.clock("2026-03-01T00:00:00Z")
    customer = m.customer(clock)
    body = {
        "customer": customer["id"],
        "price": m.price()["id"],
        "payment_method": m.card(customer)["id"],
    }
    first = m.post("subscriptions", body, HTTP_IDEMPOTENCY_KEY="sub-1")
    second = m.post("subscriptions", body, HTTP_IDEMPOTENCY_KEY="sub-1")
    other_body = m.post("subscriptions", {**body, "trial_days": 3}, HTTP_IDEMPOTENCY_KEY="sub-1")

    assert first.status_code == second.status_code == 201
    assert second.json() == first.json() and second["Idempotent-Replayed"] == "true"
    assert other_body.status_code == 422
    assert len(m.get("subscriptions", customer=customer["id"])["data"]) == 1
    assert len(m.attempts(first.json())) == 1  # charged once


def test_a_failed_first_payment_leaves_it_incomplete_then_expires(m):
    clock = m.clock("2026-03-01T00:00:00Z")
    customer = m.customer(clock)
    subscription = m.subscribe(customer, m.price(), m.card(customer, NO_FUNDS))
    assert subscription["status"] == "incomplete"
    (invoice,) = m.invoices(subscription)
    assert invoice["status"] == "open" and invoice["attempt_count"] == 1

    m.advance(clock, "2026-03-02T00:00:00Z")  # after 23 hours

    ended = m.subscription(subscription)
    assert ended["status"] == "canceled" and ended["ended_at"] == "2026-03-01T23:00:00Z"
    assert m.invoices(subscription)[0]["status"] == "void"
    assert len(m.attempts(subscription)) == 1


def test_a_trial_starts_without_a_charge_and_bills_at_its_end(m):
    clock = m.clock("2026-03-01T00:00:00Z")
    customer = m.customer(clock)
    subscription = m.subscribe(customer, m.price(amount=1500), m.card(customer), trial_days=14)
    assert subscription["status"] == "trialing"
    assert subscription["trial_end"] == "2026-03-15T00:00:00Z"
    assert m.invoices(subscription) == []

    m.advance(clock, "2026-03-16T00:00:00Z")

    after = m.subscription(subscription)
    assert after["status"] == "active"
    assert after["current_period_end"] == "2026-04-15T00:00:00Z"
    (invoice,) = m.invoices(subscription)
    assert invoice["status"] == "paid" and invoice["total"] == 1500


def test_cancel_at_period_end_ends_it_then_without_another_invoice(m, started):
    clock, _, subscription = started
    response = m.post(f"subscriptions/{subscription['id']}/cancel", {"at_period_end": True})
    assert response.status_code == 200
    assert response.json()["cancel_at_period_end"] is True
    assert response.json()["status"] == "active"

    m.advance(clock, "2026-05-01T00:00:00Z")

    ended = m.subscription(subscription)
    assert ended["status"] == "canceled" and ended["ended_at"] == "2026-04-01T00:00:00Z"
    assert len(m.invoices(subscription)) == 1


def test_cancel_now_then_again_is_a_conflict(m, started):
    _, _, subscription = started
    first = m.post(f"subscriptions/{subscription['id']}/cancel")
    again = m.post(f"subscriptions/{subscription['id']}/cancel")

    assert first.status_code == 200 and first.json()["status"] == "canceled"
    assert again.status_code == 409


def test_a_paused_subscription_is_not_billed_and_resumes_with_a_new_period(m, started):
    clock, _, subscription = started
    paused = m.post(f"subscriptions/{subscription['id']}/pause")
    assert paused.status_code == 200 and paused.json()["status"] == "paused"
    assert m.post(f"subscriptions/{subscription['id']}/pause").status_code == 409

    m.advance(clock, "2026-05-10T00:00:00Z")
    assert len(m.invoices(subscription)) == 1

    resumed = m.post(f"subscriptions/{subscription['id']}/resume")
    assert resumed.status_code == 200
    body = resumed.json()
    assert body["status"] == "active"
    assert body["current_period_start"] == "2026-05-10T00:00:00Z"
    assert body["current_period_end"] == "2026-06-10T00:00:00Z"
    assert [i["status"] for i in m.invoices(subscription)] == ["paid", "paid"]


def test_resume_of_an_active_subscription_is_a_conflict(m, started):
    _, _, subscription = started
    assert m.post(f"subscriptions/{subscription['id']}/resume").status_code == 409


def test_an_upgrade_mid_period_charges_the_prorated_difference_now(m, started):
    clock, _, subscription = started
    m.advance(clock, "2026-03-16T00:00:00Z")  # 16 of the 31 days of March left
    better = m.price(amount=2000)

    response = m.post(f"subscriptions/{subscription['id']}", {"price": better["id"]})

    assert response.status_code == 200 and response.json()["price"] == better["id"]
    proration = m.invoices(subscription)[1]
    # credit round(1000 × 16/31) = 516, charge round(2000 × 16/31) = 1032
    assert [line["amount"] for line in proration["lines"]] == [-516, 1032]
    assert proration["total"] == 516 and proration["status"] == "paid"
    assert proration["billing_reason"] == "subscription_update"

    m.advance(clock, "2026-04-02T00:00:00Z")
    assert m.invoices(subscription)[2]["total"] == 2000


def test_a_downgrade_keeps_the_credit_for_the_next_invoice(m, started):
    clock, _, subscription = started
    m.advance(clock, "2026-03-16T00:00:00Z")
    cheaper = m.price(amount=400)

    changed = m.post(f"subscriptions/{subscription['id']}", {"price": cheaper["id"]}).json()

    # credit round(1000 × 16/31) = 516, charge round(400 × 16/31) = 206: 310 kept
    assert changed["credit_balance"] == 310
    assert len(m.invoices(subscription)) == 1
    m.advance(clock, "2026-04-02T00:00:00Z")
    april = m.invoices(subscription)[1]
    assert [line["amount"] for line in april["lines"]] == [400, -310]
    assert april["total"] == 90 and april["status"] == "paid"
    assert m.subscription(subscription)["credit_balance"] == 0


def test_a_price_of_another_currency_is_refused(m, started):
    _, _, subscription = started
    euro = m.price(amount=1000, currency="EUR")
    response = m.post(f"subscriptions/{subscription['id']}", {"price": euro["id"]})
    assert response.status_code == 400
    assert _errors(response) == {("price", "incompatible_price")}


def test_advancing_a_clock_bills_only_its_own_customers(m, started):
    clock, _, subscription = started
    other_clock = m.clock("2026-03-01T00:00:00Z")
    other_customer = m.customer(other_clock)
    other = m.subscribe(other_customer, m.price(), m.card(other_customer))

    m.advance(clock, "2026-06-01T00:00:00Z")

    assert len(m.invoices(subscription)) == 4
    assert len(m.invoices(other)) == 1
    assert m.get(f"test-clocks/{other_clock['id']}")["frozen_time"] == "2026-03-01T00:00:00Z"


def test_a_clock_only_moves_forward(m):
    clock = m.clock("2026-03-01T00:00:00Z")
    response = m.post(f"test-clocks/{clock['id']}/advance", {"frozen_time": "2026-02-01T00:00:00Z"})
    assert response.status_code == 400
    assert _errors(response) == {("frozen_time", "not_later")}


def test_clocks_are_test_mode_only(live_api):
    response = live_api.post(
        "/api/v1/test-clocks", {"frozen_time": "2026-03-01T00:00:00Z"}, format="json"
    )
    assert response.status_code == 400


def test_lists_filter_by_customer_and_status(m, started):
    _, customer, subscription = started
    assert [s["id"] for s in m.get("subscriptions", customer=customer["id"])["data"]] == [
        subscription["id"]
    ]
    assert m.get("subscriptions", status="canceled")["data"] == []
    assert m.api.get("/api/v1/subscriptions", {"staus": "active"}).status_code == 400


def test_subscription_and_invoice_events_are_recorded(m, started):
    clock, _, subscription = started
    m.advance(clock, "2026-04-02T00:00:00Z")
    types = [e["type"] for e in m.get("events", limit=100)["data"]]
    for expected in (
        "customer.subscription.created",
        "customer.subscription.updated",
        "invoice.created",
        "invoice.paid",
        "invoice.upcoming",
    ):
        assert expected in types


def test_an_endpoint_can_ask_for_subscription_and_invoice_events_and_gets_them(
    m, started, settings
):
    from webhooks.models import WebhookDelivery

    settings.WEBHOOKS_ALLOW_PRIVATE_URLS = True
    wanted = [
        "customer.subscription.created",
        "customer.subscription.updated",
        "customer.subscription.deleted",
        "invoice.created",
        "invoice.paid",
        "invoice.payment_failed",
        "invoice.upcoming",
    ]
    response = m.post(
        "webhook-endpoints", {"url": "http://127.0.0.1:9/hooks", "enabled_events": wanted}
    )
    assert response.status_code == 201, response.content
    clock, _, subscription = started

    m.advance(clock, "2026-04-02T00:00:00Z")
    m.post(f"subscriptions/{subscription['id']}/cancel")

    sent = set(WebhookDelivery.objects.values_list("event__type", flat=True))
    assert {
        "customer.subscription.updated",
        "customer.subscription.deleted",
        "invoice.created",
        "invoice.paid",
        "invoice.upcoming",
    } <= sent
    assert sent <= set(wanted)


def test_dunning_settings_default_then_set_by_the_merchant(m):
    assert m.get("billing-settings") == {
        "object": "billing_settings",
        "retry_schedule_days": [1, 3, 7, 14],
        "final_status": "unpaid",
    }
    bad = m.post("billing-settings", {"retry_schedule_days": [5, 2], "final_status": "gone"})
    assert bad.status_code == 400
    assert {e["field"] for e in bad.json()["errors"]} >= {"final_status"}

    done = m.post("billing-settings", {"retry_schedule_days": [2, 4], "final_status": "canceled"})

    assert done.status_code == 200
    assert m.get("billing-settings")["retry_schedule_days"] == [2, 4]


def test_a_customer_on_an_unknown_clock_is_refused(m):
    response = m.post("customers", {"email": "a@example.com", "test_clock": "clock_nope"})
    assert response.status_code == 400
    assert _errors(response) == {("test_clock", "resource_missing")}


def test_a_card_waiting_for_its_holders_code_cannot_start_a_subscription(m):
    customer = m.customer()
    card = m.card(customer, "4000000000003220")  # the issuer asks for a code at saving
    assert card["status"] == "requires_action"
    response = m.post(
        "subscriptions",
        {"customer": customer["id"], "price": m.price()["id"], "payment_method": card["id"]},
    )
    assert response.status_code == 400
    assert _errors(response) == {("payment_method", "payment_method_requires_action")}
