"""A renewal charge costs a bounded number of SQL statements (the billing bench's rate rests on it).

The engine renews subscriptions of a test clock at their period end; each renewal opens and numbers
an invoice, charges the saved card through the payment core, and applies the outcome. These tests
count every statement of that work, per charge, so that a repeated read or a save too many cannot
slip in unnoticed. The bounds have a little headroom over today's counts (in the comments).
"""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from billing.models import ChargeAttempt, Invoice, Subscription, TestClock
from billing.services.engine import subscriptions_due

from .subscription_helpers import Merchant

pytestmark = pytest.mark.django_db

RENEWAL = datetime(2026, 2, 28, 10, 0, tzinfo=UTC)  # a month after the clock's 31 January
SUBSCRIPTIONS = 3
# Statements per renewal charge: billing's own work (claim, invoice with its number, events,
# ledger, attempt, outcome, receipt) and the payment core's (order, payment, risk, institution).
# Renewed in one batch (``BILLING_RENEWAL_BATCH``): 49.7 on SQLite; one by one they were 96.7
# on SQLite, 94.7 on PostgreSQL (and before that 124.7 and 122.7).
PER_CHARGE_MAX = 55
# On PostgreSQL with real commits the on-commit work runs too (the receipt's e-mail task, eager
# in tests, and the invoice's pay-orders task): 55.0 in one batch (106.3 one by one, was 134.3).
PER_CHARGE_COMMITTED_MAX = 60


@pytest.fixture
def m(api, django_capture_on_commit_callbacks):
    return Merchant(api, django_capture_on_commit_callbacks)


def _subscriptions_on_a_clock(m, count):
    clock = m.clock("2026-01-31T10:00:00Z")
    price = m.price()
    subscriptions = []
    for n in range(count):
        customer = m.customer(clock, email=f"renewal{n}@example.com")
        subscriptions.append(m.subscribe(customer, price, m.card(customer)))
    assert {s["status"] for s in subscriptions} == {"active"}
    return TestClock.objects.get(public_id=clock["id"]), subscriptions


def _renew_counting(clock):
    with CaptureQueriesContext(connection) as statements:
        steps = subscriptions_due(now=RENEWAL, clock=clock)
    return steps, len(statements.captured_queries)


def test_a_renewal_charge_takes_a_bounded_number_of_statements(m):
    clock, subscriptions = _subscriptions_on_a_clock(m, SUBSCRIPTIONS)

    steps, statements = _renew_counting(clock)

    renewed = ChargeAttempt.objects.filter(
        subscription__customer__test_clock=clock, status="succeeded", attempted_at=RENEWAL
    )
    assert steps == SUBSCRIPTIONS
    assert renewed.count() == SUBSCRIPTIONS
    assert statements / SUBSCRIPTIONS <= PER_CHARGE_MAX, (
        f"{statements / SUBSCRIPTIONS:.1f} statements per renewal charge"
    )
    for subscription in subscriptions:
        invoices = Invoice.objects.filter(subscription__public_id=subscription["id"])
        assert [i.status for i in invoices.order_by("created", "id")] == ["paid", "paid"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_renewal_charge_takes_a_bounded_number_of_statements_on_postgresql(m):
    clock, _ = _subscriptions_on_a_clock(m, SUBSCRIPTIONS)

    steps, statements = _renew_counting(clock)

    assert steps == SUBSCRIPTIONS
    assert statements / SUBSCRIPTIONS <= PER_CHARGE_COMMITTED_MAX, (
        f"{statements / SUBSCRIPTIONS:.1f} statements per renewal charge"
    )
    assert Subscription.objects.filter(customer__test_clock=clock, status="active").count() == 3


def test_a_subscription_not_due_costs_no_statement_beyond_the_search(m):
    clock, _ = _subscriptions_on_a_clock(m, 2)

    steps, statements = _renew_counting_at(clock, datetime(2026, 2, 10, tzinfo=UTC))

    assert steps == 0
    assert statements == 1  # the due rows' query finds none


def _renew_counting_at(clock, now):
    with CaptureQueriesContext(connection) as statements:
        steps = subscriptions_due(now=now, clock=clock)
    return steps, len(statements.captured_queries)
