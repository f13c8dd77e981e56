"""Issue 19's "done when", through the API only, as a merchant would do it on a test clock."""

import pytest

pytestmark = pytest.mark.django_db

from .subscription_helpers import Merchant  # noqa: E402

DEBIT_100 = "4000056655665556"
SAVES_THEN_LOST = "4000000000000341"


@pytest.fixture
def merchant_api(api, django_capture_on_commit_callbacks):
    return Merchant(api, django_capture_on_commit_callbacks)


def test_monthly_subscription_from_31_january_bills_28_february_and_31_march(
    merchant_api, assert_invariants
):
    m = merchant_api
    clock = m.clock("2026-01-31T10:00:00Z")
    customer = m.customer(clock)
    card = m.card(customer)
    subscription = m.subscribe(customer, m.price(amount=1000), card)
    assert subscription["status"] == "active"
    assert subscription["current_period_end"] == "2026-02-28T10:00:00Z"

    clock = m.advance(clock, "2026-04-01T10:00:00Z")

    assert clock["status"] == "ready" and clock["frozen_time"] == "2026-04-01T10:00:00Z"
    invoices = m.invoices(subscription)
    assert [i["status"] for i in invoices] == ["paid", "paid", "paid"]
    assert [i["total"] for i in invoices] == [1000, 1000, 1000]
    assert [i["period_end"] for i in invoices] == [
        "2026-02-28T10:00:00Z",
        "2026-03-31T10:00:00Z",
        "2026-04-30T10:00:00Z",
    ]
    assert [i["period_start"] for i in invoices][1:] == [
        "2026-02-28T10:00:00Z",
        "2026-03-31T10:00:00Z",
    ]
    after = m.subscription(subscription)
    assert after["status"] == "active"
    assert after["current_period_end"] == "2026-04-30T10:00:00Z"
    assert [a["status"] for a in m.attempts(subscription)] == ["succeeded"] * 3
    assert_invariants()


def test_debit_card_runs_dry_goes_past_due_is_retried_on_schedule_and_ends_unpaid(
    merchant_api, assert_invariants
):
    m = merchant_api
    clock = m.clock("2026-01-31T10:00:00Z")
    customer = m.customer(clock)
    subscription = m.subscribe(customer, m.price(amount=6000), m.card(customer, DEBIT_100))
    assert subscription["status"] == "active"  # 60.00 of the 100.00 balance

    m.advance(clock, "2026-02-28T10:00:00Z")
    assert m.subscription(subscription)["status"] == "past_due"

    m.advance(clock, "2026-03-20T10:00:00Z")

    attempts = m.attempts(subscription)
    retries = [a for a in attempts if a["invoice"] == attempts[1]["invoice"]]
    assert [a["attempted_at"] for a in retries] == [
        "2026-02-28T10:00:00Z",  # the renewal
        "2026-03-01T10:00:00Z",  # retries 1, 3, 7 and 14 days after the first failure
        "2026-03-03T10:00:00Z",
        "2026-03-07T10:00:00Z",
        "2026-03-14T10:00:00Z",
    ]
    assert {a["decline_code"] for a in retries} == {"insufficient_funds"}
    assert {a["decline_category"] for a in retries} == {"retry_later"}
    ended = m.subscription(subscription)
    assert ended["status"] == "unpaid" and ended["next_billing_at"] is None
    assert [i["status"] for i in m.invoices(subscription)] == ["paid", "uncollectible"]
    assert m.invoices(subscription)[1]["attempt_count"] == 5

    m.advance(clock, "2026-06-01T10:00:00Z")
    assert len(m.attempts(subscription)) == 6  # nothing more is tried
    assert_invariants()


def test_a_lost_card_is_never_retried(merchant_api, assert_invariants):
    m = merchant_api
    clock = m.clock("2026-01-31T10:00:00Z")
    customer = m.customer(clock)
    card = m.card(customer, SAVES_THEN_LOST)  # saving works; every charge declines lost_card
    subscription = m.subscribe(customer, m.price(amount=1000, trial_days=7), card)
    assert subscription["status"] == "trialing"

    m.advance(clock, "2026-05-01T10:00:00Z")

    attempts = m.attempts(subscription)
    assert [(a["decline_code"], a["decline_category"]) for a in attempts] == [
        ("lost_card", "never")
    ]
    assert attempts[0]["attempted_at"] == "2026-02-07T10:00:00Z"  # the trial's end
    assert m.subscription(subscription)["status"] == "unpaid"
    assert [i["status"] for i in m.invoices(subscription)] == ["uncollectible"]
    assert_invariants()
