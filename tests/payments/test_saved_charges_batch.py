"""A batch of saved-card charges (renewals) writes what the same charges made one by one write.

``saved_charges_run`` makes a batch in a few statements; ``payment_create_with_order`` makes one
charge at a time. Two merchants with the same saved cards (each has sandbox accounts of its own)
charge the same list, one each way, and every row is compared once ids and times are taken out.
"""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from billing.services import customer_create, payment_method_attach
from billing.services.methods import payment_method_attach_vaulted, payment_method_detach
from institutions.models import (
    SandboxAuthorization,
    SandboxBalance,
    SandboxHold,
    SandboxMovement,
)
from ledger.models import JournalEntry
from payments.errors import DomainError, ValidationFailed
from payments.models import Event, Order, Payment, PaymentAttempt
from payments.services import merchant_create, order_create
from payments.services.one_call import payment_create_with_order
from payments.services.recurring import SavedCharge, saved_charges_run
from payments.vault import card_store
from risk.models import Evaluation, VelocityEvent

pytestmark = pytest.mark.django_db

CONSENT = "Renewals of my subscription may be charged without me."
CARDS = {
    "visa": "4242424242424242",
    "mastercard": "5555555555554444",
    "amex": "378282246310005",
    "discover": "6011111111111117",
    "debit_100": "4000056655665556",  # 100.00 per currency: a large second charge is refused
    "lost": "4000000000000341",  # saves fine, every charge declines lost_card
    "on_session": "4000000000000077",
}
OTP_EVERY_PAYMENT = "4000002760003184"


def _methods(merchant) -> dict[str, str]:
    """The merchant's saved cards by name: ``pm_...`` ids (and a detached one, an unknown one)."""
    customer = customer_create(merchant=merchant, email="renewals@example.com")
    ids = {}
    for name, pan in CARDS.items():
        method, _ = payment_method_attach(
            customer=customer,
            number=pan,
            exp_month=12,
            exp_year=2035,
            cvc="1234" if name == "amex" else "123",
            holder_name="Ada Lovelace",
            consent_text=CONSENT,
            consent_ip="203.0.113.7",
            consent_usage="on_session" if name == "on_session" else "off_session",
        )
        ids[name] = method.public_id
    # Verified at a checkout already (so active), but its issuer asks an OTP for every payment.
    otp, _ = payment_method_attach_vaulted(
        customer=customer,
        card=card_store(pan=OTP_EVERY_PAYMENT, brand="visa", exp_month=12, exp_year=2035),
        holder_name="Ada Lovelace",
        consent_text=CONSENT,
        consent_ip="203.0.113.7",
        consent_usage="off_session",
    )
    ids["otp"] = otp.public_id
    other = customer_create(merchant=merchant, email="gone@example.com")
    gone, _ = payment_method_attach(
        customer=other,
        number=CARDS["visa"],
        exp_month=12,
        exp_year=2035,
        cvc="123",
        holder_name="Gone",
        consent_text=CONSENT,
        consent_ip="203.0.113.7",
        consent_usage="off_session",
    )
    payment_method_detach(method=gone)
    ids["detached"] = gone.public_id
    ids["unknown"] = "pm_doesnotexist000000000"
    return ids


# (card, amount, reference): every outcome a renewal batch can meet.
CHARGES = [
    ("visa", 1000, "r-visa-1"),
    ("mastercard", 2500, "r-mc"),
    ("amex", 1500, "r-amex"),
    ("discover", 999, "r-discover"),
    ("debit_100", 6000, "r-debit-1"),
    ("debit_100", 6000, "r-debit-2"),  # 40.00 left: insufficient_funds
    ("lost", 1000, "r-lost"),
    ("otp", 1000, "r-otp"),
    ("visa", 1000, "r-taken"),  # an order has this reference already
    ("visa", 1200, "r-visa-1"),  # repeated in the batch
    ("detached", 1000, "r-detached"),
    ("unknown", 1000, "r-unknown"),
    ("on_session", 1000, "r-on-session"),
    ("visa", 1000, "r-visa-2"),  # the same card again: its velocity counts the first
    ("visa", 0, "r-zero"),  # an invalid amount
]


def _charges(merchant, methods):
    order_create(merchant=merchant, amount=500, currency="USD", reference="r-taken")
    return [
        SavedCharge(
            merchant=merchant,
            livemode=False,
            method_id=methods[card],
            order={"amount": amount, "currency": "USD", "reference": reference},
        )
        for card, amount, reference in CHARGES
    ]


def _one_by_one(charges):
    """The single path, as ``saved_charges_run`` made every charge before it had a batch."""
    results = []
    for charge in charges:
        try:
            results.append(
                payment_create_with_order(
                    merchant=charge.merchant,
                    livemode=charge.livemode,
                    saved_method=charge.method_id,
                    **charge.order,
                )
            )
        except (ValidationFailed, DomainError) as err:
            results.append(err)
    return results


_ID = re.compile(r"\b[a-z]{2,6}_[A-Za-z0-9]{12,}\b")
_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?")
_VOLATILE = {"id", "created", "updated", "checkout_url", "expires_at", "client_secret", "url"}


def _plain(value):
    """``value`` without ids, times and whatever names them."""
    if isinstance(value, dict):
        return {
            k: _plain(v)
            for k, v in value.items()
            if k not in _VOLATILE and not k.endswith("_at") and not k.endswith("_id")
        }
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, str):
        return _TIME.sub("<time>", _ID.sub("<id>", value))
    return value


def _result(outcome):
    if isinstance(outcome, Payment):
        return ("payment", outcome.status, outcome.decline_code, outcome.amount_captured)
    if isinstance(outcome, ValidationFailed):
        return ("invalid", sorted((e.field, e.code) for e in outcome.errors))
    return ("error", type(outcome).__name__)


def _rows(merchant) -> dict:
    """Every row the charges of ``merchant`` wrote, without ids and times, in a fixed order."""
    orders = Order.objects.filter(merchant=merchant).order_by("reference")
    payments = Payment.objects.filter(merchant=merchant).select_related("order")
    by_ref = {p.public_id: p.order.reference for p in payments}
    by_ref.update({o.public_id: o.reference for o in orders})
    events = sorted(
        (by_ref.get(e.object_id, e.object_type), e.type, e.sequence, _plain(e.data))
        for e in Event.objects.filter(merchant=merchant, object_type__in=["order", "payment"])
    )
    owner = merchant.public_id
    account = "account__label"
    return {
        "orders": [
            (o.reference, o.status, o.amount, o.currency, o.paid_at is not None) for o in orders
        ],
        "payments": sorted(
            (
                p.order.reference,
                p.status,
                p.decline_code,
                p.decline_message,
                p.amount,
                p.amount_authorized,
                p.amount_captured,
                p.card_brand,
                p.card_last4,
                p.institution,
                bool(p.institution_reference),
                p.captured_at is not None,
            )
            for p in payments
        ),
        "attempts": sorted(
            (
                a.payment.order.reference,
                a.outcome,
                a.decline_code,
                a.message,
                a.masked_details,
                a.institution,
                bool(a.institution_reference),
                a.finished_at is not None,
            )
            for a in PaymentAttempt.objects.filter(payment__merchant=merchant).select_related(
                "payment__order"
            )
        ),
        "events": events,
        "evaluations": sorted(
            (
                e.payment.order.reference,
                e.score,
                e.level,
                e.decision,
                e.reason,
                str(_plain(e.features)),
                str(_plain(e.matched_rules)),
            )
            for e in Evaluation.objects.filter(merchant_id=merchant.pk).select_related(
                "payment__order"
            )
        ),
        "velocity": sorted(
            (kind, _plain(key), card)
            for kind, key, card in VelocityEvent.objects.filter(
                merchant_id=merchant.pk
            ).values_list("kind", "key", "card")
        ),
        "ledger": sorted(
            (
                by_ref[entry.reference],
                entry.kind,
                sorted(
                    (p.account.kind, p.account.owner == owner, p.amount, p.currency)
                    for p in entry.postings.select_related("account")
                ),
            )
            for entry in JournalEntry.objects.filter(reference__in=list(by_ref))
        ),
        "balances": sorted(
            SandboxBalance.objects.filter(account__owner__key=owner).values_list(
                account, "currency", "opening_amount", "held", "debited", "refunded"
            )
        ),
        "holds": sorted(
            SandboxHold.objects.filter(account__owner__key=owner).values_list(
                account, "amount", "currency", "status", "amount_captured"
            )
        ),
        "movements": sorted(
            SandboxMovement.objects.filter(account__owner__key=owner).values_list(
                "kind", account, "amount", "currency"
            )
        ),
        "authorizations": sorted(
            (a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7] is not None)
            for a in SandboxAuthorization.objects.filter(merchant_id=owner).values_list(
                account,
                "description",
                "amount",
                "decision",
                "decline_code",
                "message",
                "challenge_channel",
                "hold",
            )
        ),
    }


@pytest.fixture
def two_merchants(db):
    return merchant_create(name="Renewals Ltd"), merchant_create(name="Renewals Ltd")


def test_a_batch_of_renewals_writes_the_rows_the_single_path_writes(
    two_merchants, assert_invariants, django_capture_on_commit_callbacks
):
    single, batched = two_merchants
    with django_capture_on_commit_callbacks(execute=True):
        expected = [_result(r) for r in _one_by_one(_charges(single, _methods(single)))]
        results = saved_charges_run(_charges(batched, _methods(batched)))

    got = [_result(r.payment if r.error is None else r.error) for r in results]
    assert got == expected
    assert {r[0] for r in got} == {"payment", "invalid"}
    statuses = [r[1] for r in got]
    assert statuses.count("captured") == 6 and "requires_action" in statuses
    codes = {r[2] for r in got if r[0] == "payment"}
    assert {"insufficient_funds", "lost_card"} <= codes
    duplicate = got[[ref for _, _, ref in CHARGES].index("r-taken")]
    assert duplicate == ("invalid", [("reference", "duplicate")])
    assert got[9] == ("invalid", [("reference", "duplicate")])
    for result in results:
        if result.payment is not None:
            assert result.payment.order.reference and result.payment.pk
    expected_rows, rows = _rows(single), _rows(batched)
    for table in expected_rows:
        assert rows[table] == expected_rows[table], table
    assert_invariants()


def _visa_methods(merchant, count):
    customer = customer_create(merchant=merchant, email="many@example.com")
    cards = ["4242424242424242", "5555555555554444", "6011111111111117", "3566002020360505"]
    methods = []
    for pan in cards[:count]:
        method, _ = payment_method_attach(
            customer=customer,
            number=pan,
            exp_month=12,
            exp_year=2035,
            cvc="123",
            holder_name="Ada Lovelace",
            consent_text=CONSENT,
            consent_ip="203.0.113.7",
            consent_usage="off_session",
        )
        methods.append(method.public_id)
    return methods


# Measured 47 statements for 20 approved charges on four cards of three issuers (SQLite, in the
# test's transaction, so each atomic block adds a SAVEPOINT and its RELEASE; the sandboxes and
# ledger accounts opened before): step 1 in 13 (saved cards, references, orders, payments,
# attempts, velocity read and write, lists, evaluations, OTP caps, events, savepoint pair), 8 per
# issuer (accounts, balances, holds, debits, balances, answers, savepoint pair), step 3 in 10.
# One charge alone takes 30: 600 for 20.
BATCH_OF_20_MAX = 50


def test_a_batch_of_twenty_approved_renewals_takes_a_bounded_number_of_statements(
    merchant, assert_invariants
):
    methods = _visa_methods(merchant, 4)
    warm = [
        SavedCharge(merchant, False, m, {"amount": 100, "currency": "USD", "reference": f"w{n}"})
        for n, m in enumerate(methods)
    ]
    assert all(r.payment.status == "captured" for r in saved_charges_run(warm))
    charges = [
        SavedCharge(
            merchant,
            False,
            methods[n % 4],
            {"amount": 1000, "currency": "USD", "reference": f"{n}"},
        )
        for n in range(20)
    ]

    with CaptureQueriesContext(connection) as statements:
        results = saved_charges_run(charges)

    assert [r.payment.status for r in results] == ["captured"] * 20
    assert len(statements.captured_queries) <= BATCH_OF_20_MAX, len(statements.captured_queries)
    assert_invariants()


def test_a_batch_whose_issuer_times_out_is_left_processing_then_reconciled(
    merchant, assert_invariants
):
    from datetime import timedelta

    from django.utils import timezone

    from institutions.sandbox import faults
    from payments.services import attempts_reconcile

    visa, mastercard = _visa_methods(merchant, 2)
    charges = [
        SavedCharge(merchant, False, m, {"amount": 1000, "currency": "USD", "reference": ref})
        for m, ref in [(visa, "t-1"), (mastercard, "t-2"), (visa, "t-3"), (visa, "t-4")]
    ]

    # The Visa issuer acts on the first request, and its answer is lost.
    with faults.inject_timeout(after_acting=True, code="sandbox_issuer_visa"):
        results = saved_charges_run(charges)

    assert [r.payment.status for r in results] == [
        "processing",
        "captured",
        "processing",
        "processing",
    ]
    assert attempts_reconcile(now=timezone.now() + timedelta(hours=1)) == 3
    stored = {
        p.order.reference: (p.status, p.decline_code)
        for p in Payment.objects.filter(merchant=merchant).select_related("order")
    }
    assert stored == {
        "t-1": ("captured", ""),
        "t-2": ("captured", ""),
        "t-3": ("declined", "processing_error"),
        "t-4": ("declined", "processing_error"),
    }
    assert_invariants()
