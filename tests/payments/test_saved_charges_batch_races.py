"""Two workers renewing at once on PostgreSQL: batches on the same cards neither deadlock nor
charge twice, and the issuer's balances and our ledger agree with what was captured."""

from collections import Counter

import pytest
from django.db.models import Sum

from billing.services import customer_create, payment_method_attach
from institutions.models import SandboxBalance, SandboxMovement
from ledger.models import Posting
from payments.models import Payment
from payments.services.recurring import SavedCharge, saved_charges_run

from .test_concurrency import race

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

CARDS = ["4242424242424242", "5555555555554444", "6011111111111117", "3566002020360505"]


def _methods(merchant):
    customer = customer_create(merchant=merchant, email="races@example.com")
    methods = []
    for pan in CARDS:
        method, _ = payment_method_attach(
            customer=customer,
            number=pan,
            exp_month=12,
            exp_year=2035,
            cvc="123",
            holder_name="Ada Lovelace",
            consent_text="Renewals of my subscription may be charged without me.",
            consent_ip="203.0.113.7",
            consent_usage="off_session",
        )
        methods.append(method.public_id)
    return methods


def test_two_batches_on_the_same_cards_at_once_capture_each_charge_once(
    merchant, assert_invariants
):
    methods = _methods(merchant)
    # Each worker's own renewals, and ten both were given (a period claimed twice): the cards
    # in opposite orders, so that the two batches want the same accounts the other way round.
    batches = [
        [(methods[n % 4], f"{worker}-{n}") for n in range(30)]
        + [(methods[n % 4], f"shared-{n}") for n in range(10)]
        for worker in ("a", "b")
    ]
    batches[1].reverse()

    def run(i):
        return saved_charges_run(
            [
                SavedCharge(
                    merchant, False, method, {"amount": 1000, "currency": "USD", "reference": ref}
                )
                for method, ref in batches[i]
            ]
        )

    results = race(2, run)

    assert all(isinstance(r, list) for r in results), results
    outcomes = Counter(
        r.payment.status if r.payment else r.error.errors[0].code for rs in results for r in rs
    )
    assert outcomes == {"captured": 70, "duplicate": 10}
    captured = Payment.objects.filter(merchant=merchant, status="captured")
    assert captured.count() == 70
    assert captured.values("order__reference").distinct().count() == 70
    owner = merchant.public_id
    debited = SandboxMovement.objects.filter(account__owner__key=owner, kind="debit")
    assert debited.count() == 70
    assert debited.aggregate(total=Sum("amount"))["total"] == 70_000
    balances = SandboxBalance.objects.filter(account__owner__key=owner, currency="USD")
    assert balances.aggregate(total=Sum("debited"))["total"] == 70_000
    pending = Posting.objects.filter(account__owner=owner, account__kind="merchant_pending")
    assert pending.aggregate(total=Sum("amount"))["total"] == -70_000
    assert_invariants()
