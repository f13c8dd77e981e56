"""The billing figure's work inside Django (``bench.django_side`` commands ``billing-*``).

``seed`` writes N monthly subscriptions on one test clock (bulk inserts: customers, saved cards
with off-session consent, spread over the sandbox's eight approved test cards, active
subscriptions whose first period is paid), ``advance`` runs
the clock's engine in this process (two processes at once share the work), ``check`` counts
what was charged and looks for any period charged twice, and ``baseline`` times the same
saved-card charge made directly through ``payments``, without the engine.
"""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, datetime

T0 = datetime(2026, 1, 31, 10, 0, tzinfo=UTC)
VISA = "4242424242424242"
# The sandbox's approved domestic test cards (institutions.catalogue). Customers hold different
# cards, as they do in life: a card is one sandbox account, whose row every charge on it locks, so
# 10,000 customers on one card would queue the two workers behind each other at the issuer.
CARDS = (
    (VISA, "visa"),
    ("5555555555554444", "mastercard"),
    ("2223003122003222", "mastercard"),
    ("378282246310005", "amex"),
    ("6011111111111117", "discover"),
    ("3566002020360505", "jcb"),
    ("6200000000000005", "unionpay"),
    ("3056930009020004", "diners"),
)
CONSENT = "Renewals of my subscription may be charged without me."


def seed(*, subscriptions: int) -> dict:
    from bench.django_side import _seeded
    from billing.models import Customer, PaymentMethod, Subscription, TestClock
    from billing.periods import boundary
    from billing.services import price_create
    from billing.services.lifecycle import due_at_of
    from payments.services import merchant_create
    from payments.vault import card_store

    _seeded()
    started = time.perf_counter()
    merchant = merchant_create(name="Bench billing merchant")
    clock = TestClock.objects.create(merchant=merchant, frozen_time=T0, name="bench")
    price = price_create(
        merchant=merchant, product_name="Bench plan", amount=1000, currency="USD", interval="month"
    )
    cards = [
        (card_store(pan=pan, brand=brand, exp_month=12, exp_year=2035), brand, pan[-4:])
        for pan, brand in CARDS
    ]
    customers = Customer.objects.bulk_create(
        [
            Customer(merchant=merchant, email=f"bench{n}@example.com", test_clock=clock)
            for n in range(subscriptions)
        ],
        batch_size=2000,
    )
    methods = PaymentMethod.objects.bulk_create(
        [
            PaymentMethod(
                merchant=merchant,
                customer=customer,
                card=cards[n % len(cards)][0],
                card_brand=cards[n % len(cards)][1],
                card_last4=cards[n % len(cards)][2],
                card_exp_month=12,
                card_exp_year=2035,
                fingerprint=f"bench-card-{n:08d}",
                consent_text=CONSENT,
                consent_ip="203.0.113.7",
                consent_usage="off_session",
                consented_at=T0,
            )  # fmt: skip
            for n, customer in enumerate(customers)
        ],
        batch_size=2000,
    )
    end = boundary(anchor=T0, interval="month", count=1)
    rows = []
    for customer, method in zip(customers, methods, strict=True):
        subscription = Subscription(
            merchant=merchant, customer=customer, price=price, payment_method=method,
            status="active", billing_cycle_anchor=T0, current_period_start=T0,
            current_period_end=end, started_at=T0,
        )  # fmt: skip
        subscription.due_at = due_at_of(subscription)
        rows.append(subscription)
    Subscription.objects.bulk_create(rows, batch_size=2000)
    return {"clock": clock.public_id, "seed_s": time.perf_counter() - started}


def advance(*, clock: str, until: str, start_at: float) -> dict:
    """Run the clock's advance to ``until`` in this process, starting at wall time ``start_at``."""
    from billing.models import TestClock
    from billing.services.engine import test_clock_advance_run

    found = TestClock.objects.get(public_id=clock)
    TestClock.objects.filter(pk=found.pk).update(
        status=TestClock.Status.ADVANCING, advance_to=datetime.fromisoformat(until)
    )
    time.sleep(max(0.0, start_at - time.time()))
    started = time.perf_counter()
    test_clock_advance_run(clock_pk=found.pk)
    return {"seconds": time.perf_counter() - started, "finished_at": time.time()}


def check(*, clock: str) -> dict:
    """Count charges and look for a period charged twice (any of three ways)."""
    from django.db.models import Count, Q

    from billing.models import ChargeAttempt, Invoice, Subscription
    from payments.models import Order, Payment

    subs = Subscription.objects.filter(customer__test_clock__public_id=clock)
    merchant_id = subs.values_list("merchant_id", flat=True).first()
    invoices = Invoice.objects.filter(subscription__in=subs)
    attempts = ChargeAttempt.objects.filter(subscription__in=subs)
    twice_paid_invoices = (
        attempts.filter(status="succeeded")
        .values("invoice")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
    ).count()
    twice_billed_periods = (
        invoices.exclude(status="void").order_by().values("subscription", "period_start")
        .annotate(n=Count("pk")).filter(n__gt=1)
    ).count()  # fmt: skip
    orders = Order.objects.filter(merchant_id=merchant_id)
    captured = Payment.objects.filter(merchant_id=merchant_id, status="captured")
    orders_paid_twice = (
        captured.order_by().values("order").annotate(n=Count("pk")).filter(n__gt=1)
    ).count()
    return {
        "subscriptions": subs.count(),
        "by_status": dict(subs.order_by().values_list("status").annotate(n=Count("pk"))),
        "invoices": dict(invoices.order_by().values_list("status").annotate(n=Count("pk"))),
        "attempts": dict(attempts.order_by().values_list("status").annotate(n=Count("pk"))),
        "orders": orders.count(),
        "captured_payments": captured.count(),
        "double_charges": twice_paid_invoices + twice_billed_periods + orders_paid_twice,
        # How many subscriptions have each number of paid periods: {periods: subscriptions}.
        "paid_periods": dict(
            Counter(
                subs.annotate(n=Count("invoices", filter=Q(invoices__status="paid")))
                .order_by()
                .values_list("n", flat=True)
            )
        ),
    }


def baseline(*, charges: int) -> dict:
    """Time ``charges`` saved-card charges made directly (order + payment), one process."""
    from bench.django_side import _seeded
    from billing.services import customer_create, payment_method_attach
    from payments.services import merchant_create, order_create, payment_create_saved

    _seeded()
    merchant = merchant_create(name="Bench billing baseline")
    customer = customer_create(merchant=merchant, email="baseline@example.com")
    method, _ = payment_method_attach(
        customer=customer, number=VISA, exp_month=12, exp_year=2035, cvc="123",
        holder_name="Bench", consent_text=CONSENT, consent_ip="203.0.113.7",
        consent_usage="off_session",
    )  # fmt: skip
    started = time.perf_counter()
    captured = 0
    for n in range(charges):
        order = order_create(merchant=merchant, amount=1000, currency="USD", reference=f"b-{n}")
        payment = payment_create_saved(order=order, method_id=method.public_id)
        captured += payment.status == "captured"
    seconds = time.perf_counter() - started
    return {"charges": charges, "captured": captured, "seconds": seconds}
