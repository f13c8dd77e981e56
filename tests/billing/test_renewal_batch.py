"""The batched renewal path writes what the one-by-one path writes, in far fewer statements.

The same scenario (plain monthly renewals on approved cards, a trial ending, a cancel at period
end, credit from a downgrade, a debit card that runs out of money) is run for two merchants on
their own test clocks: one with ``BILLING_RENEWAL_BATCH = 1`` (each subscription stepped in its
own transaction, the reference) and one batched. Their rows, stripped of ids and wall-clock
times, must be the same.
"""

import re
from collections import Counter
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from billing.models import ChargeAttempt, Invoice, Notice, Subscription, TestClock
from billing.services.engine import subscriptions_due
from ledger.models import Posting
from payments.models import Event

from .subscription_helpers import Merchant

pytestmark = pytest.mark.django_db

DEBIT_100 = "4000056655665556"  # a debit card holding 100.00: a 60.00 plan is paid once
CARDS = ("4242424242424242", "5555555555554444", "2223003122003222")
PUBLIC_ID = re.compile(r"\b[a-z]{2,6}_[0-9A-Za-z]{24}\b")
ISO_TIME = re.compile(r"^\d{4}-\d\d-\d\dT")
CHECKOUT_TOKEN = re.compile(r"/checkout/[^/]+/")


def _scenario(m: Merchant) -> None:
    """Subscriptions on one clock from 31 January 2026 (month-end anchor), advanced through
    three renewals."""
    clock = m.clock("2026-01-31T10:00:00Z")
    price, cheaper, sixty = m.price(amount=1000), m.price(amount=400), m.price(amount=6000)

    def subscribe(email, plan, number=CARDS[0], **extra):
        customer = m.customer(clock, email=email)
        return m.subscribe(customer, plan, m.card(customer, number), **extra)

    for n, number in enumerate(CARDS):
        subscribe(f"plain{n}@example.com", price, number)
    ending = subscribe("ending@example.com", price)
    subscribe("trial@example.com", price, trial_days=10)
    downgraded = subscribe("credit@example.com", price)
    assert (
        m.post(f"subscriptions/{ending['id']}/cancel", {"at_period_end": True}).status_code == 200
    )
    # Its own anchor: the invoices of one moment are numbered in the order the subscriptions
    # are claimed, the batch's plain ones first, and this one falls out of the plain ones.
    m.advance(clock, "2026-02-03T10:00:00Z")
    subscribe("debit@example.com", sixty, DEBIT_100)
    m.advance(clock, "2026-02-14T10:00:00Z")
    changed = m.post(f"subscriptions/{downgraded['id']}", {"price": cheaper["id"]}).json()
    assert changed["credit_balance"] > 0
    m.advance(clock, "2026-05-01T10:00:00Z")


def _scrub(value, *, times: bool):
    """``value`` without ids, card fingerprints, created/updated stamps and (``times``) any timestamp."""
    if isinstance(value, dict):
        return {
            k: _scrub(v, times=times)
            for k, v in sorted(value.items())
            if k not in ("id", "created", "updated", "fingerprint")  # fingerprint: per merchant
        }
    if isinstance(value, list):
        return [_scrub(v, times=times) for v in value]
    if isinstance(value, str):
        if times and ISO_TIME.match(value):
            return "<time>"
        return CHECKOUT_TOKEN.sub("/checkout/<token>/", PUBLIC_ID.sub("<id>", value))
    return value


def _rows(merchant) -> dict:
    """What billing (and the payment core, the ledger) wrote for the merchant, normalized."""
    subscriptions = Subscription.objects.filter(merchant=merchant).select_related("customer")
    invoices = Invoice.objects.filter(merchant=merchant).select_related("customer")
    invoice_key = {i.pk: (i.customer.email, i.period_start, i.billing_reason) for i in invoices}
    owners = {c.public_id: c.email for c in (s.customer for s in subscriptions)}
    owners[merchant.public_id] = "merchant"
    postings = Posting.objects.filter(account__owner__in=owners).select_related("entry", "account")
    events = Event.objects.filter(merchant=merchant)
    return {
        "subscriptions": sorted(
            (
                s.customer.email,
                s.status,
                s.current_period_start,
                s.current_period_end,
                s.credit_balance,
                s.due_at,
                s.upcoming_sent_for,
                s.dunning_ends_at,
                s.ended_at,
            )
            for s in subscriptions
        ),  # fmt: skip
        "invoices": sorted(
            (
                *invoice_key[i.pk],
                i.number,
                i.status,
                i.total,
                i.amount_paid,
                i.amount_remaining,
                i.attempt_count,
                i.next_payment_attempt,
                i.finalized_at,
                i.paid_at,
                [_scrub(line.api_data(), times=False) for line in i.lines.all()],
            )
            for i in invoices
        ),  # fmt: skip
        "attempts": sorted(
            (
                invoice_key[a.invoice_id],
                a.number,
                a.status,
                a.amount,
                a.decline_code,
                a.decline_category,
                a.attempted_at,
                a.finished_at,
            )
            for a in ChargeAttempt.objects.filter(merchant=merchant)
        ),  # fmt: skip
        "events": Counter(
            repr((e.type, e.sequence, _scrub(e.data, times=e.object_type not in _BILLING)))
            for e in events
        ),
        "notices": sorted(
            (n.kind, n.to_email, PUBLIC_ID.sub("<id>", n.key), invoice_key.get(n.invoice_id))
            for n in Notice.objects.filter(merchant=merchant)
        ),  # fmt: skip
        "postings": Counter(
            (
                owners[p.account.owner],
                p.account.kind,
                p.amount,
                p.entry.kind,
                PUBLIC_ID.sub("<id>", p.entry.description),
            )
            for p in postings
        ),  # fmt: skip
    }


# Objects whose events carry billing times (the clock's), kept; others' times are wall-clock.
_BILLING = ("invoice", "customer")


def test_the_batched_path_writes_what_the_one_by_one_path_writes(
    api, other_api, merchant, other_merchant, settings, django_capture_on_commit_callbacks
):
    settings.BILLING_RENEWAL_BATCH = 1
    _scenario(Merchant(api, django_capture_on_commit_callbacks))
    settings.BILLING_RENEWAL_BATCH = 100
    _scenario(Merchant(other_api, django_capture_on_commit_callbacks))

    one_by_one, batched = _rows(merchant), _rows(other_merchant)

    # The scenario went where it should: renewals paid, the debit card declined into dunning.
    statuses = {row[0]: row[1] for row in one_by_one["subscriptions"]}
    assert statuses["plain0@example.com"] == "active"
    assert statuses["ending@example.com"] == "canceled"
    assert statuses["debit@example.com"] in ("past_due", "unpaid")
    assert any(a[2] == "failed" for a in one_by_one["attempts"])
    assert len(one_by_one["invoices"]) > 20
    for part in one_by_one:
        assert batched[part] == one_by_one[part], part


RENEWAL = datetime(2026, 2, 28, 10, 0, tzinfo=UTC)
BATCH = 20
# Statements for a batch of 20 plain renewals, all of it: the claim, the invoices with their
# numbers, lines, attempts and events, the charges (the payment core's ~28 each while
# ``saved_charges_run`` loops), the invoicing receiver's ledger entries (per event still), the
# successes applied. Measured 829 on SQLite (41.5 per renewal; the same 20 one by one: 1402,
# 70.1 per renewal): a little headroom.
BATCH_STATEMENTS_MAX = 860


def test_a_batch_of_twenty_plain_renewals_takes_a_bounded_number_of_statements(
    api, django_capture_on_commit_callbacks
):
    m = Merchant(api, django_capture_on_commit_callbacks)
    clock = m.clock("2026-01-31T10:00:00Z")
    price = m.price()
    for n in range(BATCH):
        customer = m.customer(clock, email=f"batch{n}@example.com")
        m.subscribe(customer, price, m.card(customer, CARDS[n % len(CARDS)]))
    clock = TestClock.objects.get(public_id=clock["id"])

    with CaptureQueriesContext(connection) as statements:
        steps = subscriptions_due(now=RENEWAL, clock=clock)

    assert steps == BATCH
    paid = Invoice.objects.filter(period_start=RENEWAL, status="paid", customer__test_clock=clock)
    assert paid.count() == BATCH
    assert len(statements.captured_queries) <= BATCH_STATEMENTS_MAX, len(
        statements.captured_queries
    )
