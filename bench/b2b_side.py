"""The B2B figure's work inside Django (``bench.django_side`` commands ``b2b-*``).

``seed`` writes N customers of one merchant, each with a saved card (bulk inserts, as the
billing figure's seed); ``create`` times ``charge_batch_create`` on a batch of N rows, 3 of them
to refuse (every row validated, the accepted ones stored; nothing charged), then makes the
batch of the N good items and starts it; ``run`` charges the started batch's items in this process (two processes at once
share them, ``SKIP LOCKED``); ``check`` counts the outcomes and looks for an item charged twice.
The baseline is ``billing-baseline``: the same saved-card charge made directly through payments.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

T0 = datetime(2026, 1, 31, 10, 0, tzinfo=UTC)
VISA = "4242424242424242"
CONSENT = "Our invoices may be charged to this card without me."
BAD_ROWS = 3


def seed(*, customers: int) -> dict:
    from bench.django_side import _seeded
    from billing.models import Customer, PaymentMethod
    from payments.services import merchant_create
    from payments.vault import card_store

    _seeded()
    started = time.perf_counter()
    merchant = merchant_create(name="Bench B2B merchant")
    card = card_store(pan=VISA, brand="visa", exp_month=12, exp_year=2035)
    rows = Customer.objects.bulk_create(
        [Customer(merchant=merchant, email=f"ap{n}@example.com") for n in range(customers)],
        batch_size=2000,
    )
    methods = PaymentMethod.objects.bulk_create(
        [
            PaymentMethod(
                merchant=merchant,
                customer=customer,
                card=card,
                card_brand="visa",
                card_last4="4242",
                card_exp_month=12,
                card_exp_year=2035,
                fingerprint=f"bench-b2b-{n:08d}",
                consent_text=CONSENT,
                consent_ip="203.0.113.7",
                consent_usage="off_session",
                consented_at=T0,
            )  # fmt: skip
            for n, customer in enumerate(rows)
        ],
        batch_size=2000,
    )
    return {
        "merchant": merchant.public_id,
        "methods": len(methods),
        "seed_s": time.perf_counter() - started,
    }


def _items(pairs: list, *, bad: bool) -> list[dict]:
    """One item per seeded card; with ``bad``, the last 3 rows are ones to refuse instead."""
    items = [
        {
            "reference": f"inv-{n:06d}",
            "customer": customer,
            "payment_method": method,
            "amount": 1000 + n % 500,
            "currency": "USD",
        }  # fmt: skip
        for n, (customer, method) in enumerate(pairs)
    ]
    if not bad:
        return items
    customer, method = pairs[0]
    return items[:-BAD_ROWS] + [
        {"reference": "bad-1", "customer": customer, "payment_method": "pm_nope",
         "amount": 1000, "currency": "USD"},
        {"reference": "bad-2", "customer": customer, "payment_method": method,
         "amount": 1000, "currency": "XXQ"},
        {"reference": "inv-000000", "customer": customer, "payment_method": method,
         "amount": 1000, "currency": "USD"},
    ]  # fmt: skip


def create(*, merchant: str) -> dict:
    """Validate a batch of one row per seeded card, 3 of them to refuse (timed: the report,
    nothing charged); then validate and start the batch of every card, all rows good."""
    from billing.models import PaymentMethod
    from payments.models import Merchant
    from payouts.services import charge_batch_create, charge_batch_start

    found = Merchant.objects.get(public_id=merchant)
    pairs = PaymentMethod.objects.filter(merchant=found).order_by("pk")
    pairs = list(pairs.values_list("customer__public_id", "public_id"))
    timed = {}
    for reference, bad in (("bench-b2b-report", True), ("bench-b2b", False)):
        items = _items(pairs, bad=bad)
        started = time.perf_counter()
        batch, _ = charge_batch_create(
            merchant=found, livemode=False, reference=reference, items=items
        )
        timed[reference] = (time.perf_counter() - started, batch, len(items))
    validate_s, report, rows = timed["bench-b2b-report"]
    create_s, batch, _ = timed["bench-b2b"]
    charge_batch_start(batch=batch)
    return {
        "batch": batch.public_id,
        "rows": rows,
        "rejected": len(report.rejected),
        "validate_s": validate_s,
        "create_s": create_s,
        "items": batch.items.count(),
    }


def run(*, batch: str, start_at: float) -> dict:
    """Charge the batch's claimable items in this process, from wall time ``start_at``."""
    from payouts.models import ChargeBatch
    from payouts.services import charge_batch_run

    pk = ChargeBatch.objects.values_list("pk", flat=True).get(public_id=batch)
    time.sleep(max(0.0, start_at - time.time()))
    started = time.perf_counter()
    done = charge_batch_run(batch_pk=pk)
    return {"done": done, "seconds": time.perf_counter() - started, "finished_at": time.time()}


def check(*, batch: str) -> dict:
    """Count the items' outcomes and anything charged twice (an item with two payments, an
    order captured twice, two items with one order)."""
    from django.db.models import Count

    from payments.models import Payment
    from payouts.models import ChargeBatch, ChargeItem

    found = ChargeBatch.objects.get(public_id=batch)
    items = ChargeItem.objects.filter(batch=found)
    payments = Payment.objects.filter(order__in=items.values("order"))
    twice = (
        payments.order_by().values("order").annotate(n=Count("pk")).filter(n__gt=1).count()
        + items.exclude(order=None).order_by().values("order").annotate(n=Count("pk"))
        .filter(n__gt=1).count()
    )  # fmt: skip
    return {
        "status": found.status,
        "items": dict(items.order_by().values_list("status").annotate(n=Count("pk"))),
        "captured_payments": payments.filter(status="captured").count(),
        "double_charges": twice,
    }
