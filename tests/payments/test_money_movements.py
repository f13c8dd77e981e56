"""Capture, cancel, refunds, expiry and the reconciliation of unknown outcomes."""

import pytest
import time_machine
from django.utils import timezone

from institutions.sandbox import faults
from ledger.selectors import account_balance
from payments.errors import (
    InstitutionUnavailable,
    InvalidTransition,
    RefundAmountInvalid,
    ValidationFailed,
)
from payments.models import Event, Order, Payment, PaymentAttempt, Refund
from payments.services import (
    attempts_reconcile,
    authorizations_expire,
    bank_transfer_simulate,
    bank_transfers_expire,
    order_cancel,
    orders_expire,
    payment_cancel,
    payment_capture,
    refund_create,
)
from tests.conftest import DEBIT_100, NO_FUNDS, VISA, bank_transfer, card
from tests.payments.conftest import institution_asks

pytestmark = pytest.mark.django_db


@pytest.fixture
def refund(django_capture_on_commit_callbacks):
    def do(payment, amount=None, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            created = refund_create(
                merchant=payment.merchant, payment_id=payment.public_id, amount=amount, **kwargs
            )
        created.refresh_from_db()
        return created

    return do


@pytest.fixture
def authorized(make_order, pay):
    payment = pay(make_order(capture_method="manual"), card(VISA))
    assert payment.status == "authorized"
    return payment


# --- capture and cancel ------------------------------------------------------------------------


def test_capture_writes_one_balanced_ledger_entry(captured_payment, assert_invariants):
    merchant_id = captured_payment.merchant.public_id

    assert account_balance(owner=merchant_id, kind="merchant_pending", currency="USD") == -1000
    assert (
        account_balance(owner="sandbox_issuer_visa", kind="institution_receivable", currency="USD")
        == 1000
    )
    assert_invariants()


def test_capture_more_than_authorized_is_rejected(authorized):
    with pytest.raises(ValidationFailed):
        payment_capture(merchant=authorized.merchant, payment_id=authorized.public_id, amount=1001)

    authorized.refresh_from_db()
    assert authorized.status == "authorized"


def test_capture_of_a_captured_payment_is_an_invalid_transition(captured_payment):
    with pytest.raises(InvalidTransition):
        payment_capture(merchant=captured_payment.merchant, payment_id=captured_payment.public_id)


def test_cancel_releases_the_hold_and_keeps_the_order_payable(make_order, pay, merchant):
    first = pay(make_order(amount=9000, capture_method="manual"), card(DEBIT_100))
    assert first.status == "authorized"

    canceled = payment_cancel(merchant=merchant, payment_id=first.public_id)
    again = pay(make_order(amount=9000), card(DEBIT_100))

    assert canceled.status == "canceled"
    assert again.status == "captured"  # the released hold freed the balance
    assert Event.objects.filter(type="payment.canceled", object_id=first.public_id).exists()


def test_cancel_after_capture_is_refused(captured_payment):
    with pytest.raises(InvalidTransition):
        payment_cancel(merchant=captured_payment.merchant, payment_id=captured_payment.public_id)


@pytest.fixture
def captures_asked(monkeypatch):
    """The (reference, amount) of each capture the institution is asked for; ``.refusal`` set to
    a message (possibly empty) makes it refuse them with it."""
    return institution_asks(
        monkeypatch,
        "capture",
        lambda *, reference, institution_reference, amount: (reference, amount),
    )


def test_a_manual_capture_asks_the_institution_once_under_the_payments_capture_reference(
    authorized, captures_asked
):
    payment_capture(merchant=authorized.merchant, payment_id=authorized.public_id, amount=600)

    assert captures_asked == [(f"{authorized.public_id}:capture", 600)]


@pytest.mark.parametrize(
    ("institution_says", "message"),
    [
        ("The hold has lapsed.", "The hold has lapsed."),
        ("", "The institution refused the capture."),
    ],
)
def test_a_capture_the_institution_refuses_leaves_the_payment_authorized_and_says_why(
    authorized, captures_asked, institution_says, message
):
    captures_asked.refusal = institution_says

    with pytest.raises(InstitutionUnavailable) as refused:
        payment_capture(merchant=authorized.merchant, payment_id=authorized.public_id)

    assert refused.value.message == message
    authorized.refresh_from_db()
    assert authorized.status == "authorized" and authorized.captured_at is None
    assert not Event.objects.filter(type="payment.captured", object_id=authorized.public_id)


def test_a_capture_records_the_payment_captured_and_the_order_paid_with_its_payments(
    make_order, pay
):
    order = make_order(amount=1000, capture_method="manual")
    declined = pay(order, card(NO_FUNDS))
    payment = pay(order, card(VISA))
    with time_machine.travel("2031-05-04 10:20:30Z", tick=False):
        payment_capture(merchant=payment.merchant, payment_id=payment.public_id)

    order.refresh_from_db()
    assert order.status == "paid" and order.paid_at.isoformat() == "2031-05-04T10:20:30+00:00"
    captured = Event.objects.get(type="payment.captured", object_id=payment.public_id)
    assert captured.data["status"] == "captured"
    paid = Event.objects.get(type="order.paid", object_id=order.public_id)
    assert paid.data["status"] == "paid" and paid.data["paid_at"] is not None
    assert sorted((p["id"], p["status"]) for p in paid.data["payments"]) == sorted(
        [(payment.public_id, "captured"), (declined.public_id, "declined")]
    )


def test_another_merchants_payment_cannot_be_captured(authorized, other_merchant):
    from payments.errors import NotFound

    with pytest.raises(NotFound):
        payment_capture(merchant=other_merchant, payment_id=authorized.public_id)


# --- refunds ---------------------------------------------------------------------------------


def test_partial_then_full_refund(captured_payment, refund, assert_invariants):
    first = refund(captured_payment, 400, reason="damaged")
    captured_payment.refresh_from_db()
    order = captured_payment.order
    order.refresh_from_db()
    assert first.status == Refund.Status.SUCCEEDED
    assert captured_payment.status == "partially_refunded" and order.status == "partially_refunded"

    rest = refund(captured_payment)

    captured_payment.refresh_from_db()
    order.refresh_from_db()
    assert rest.amount == 600
    assert captured_payment.status == "refunded" and captured_payment.amount_refunded == 1000
    assert order.status == "refunded"
    merchant_id = captured_payment.merchant.public_id
    assert account_balance(owner=merchant_id, kind="merchant_pending", currency="USD") == 0
    assert_invariants()


def test_refund_beyond_captured_amount_is_rejected(captured_payment, refund):
    refund(captured_payment, 600)

    with pytest.raises(RefundAmountInvalid):
        refund(captured_payment, 500)

    assert captured_payment.refunds.count() == 1


@pytest.mark.parametrize("amount", [0, -5, True, "100", 1.0])
def test_refund_of_nothing_or_less_is_rejected(captured_payment, refund, amount):
    with pytest.raises(RefundAmountInvalid) as excinfo:
        refund(captured_payment, amount)
    assert (excinfo.value.amount, excinfo.value.refundable) == (amount, 1000)
    assert str(excinfo.value) == (
        "A refund must be more than 0 and at most the refundable amount (1000)."
    )
    assert captured_payment.refunds.count() == 0


def test_the_smallest_refund_is_one_minor_unit(captured_payment, refund, assert_invariants):
    assert refund(captured_payment, 1).status == Refund.Status.SUCCEEDED
    assert refund(captured_payment, 999).amount == 999  # and the rest to the last unit
    assert_invariants()


def test_uncaptured_payment_cannot_be_refunded(authorized, refund):
    with pytest.raises(InvalidTransition) as excinfo:
        refund(authorized, 100)
    assert str(excinfo.value) == (
        "Only a captured payment can be refunded; this one is authorized."
    )


def test_refund_task_run_twice_refunds_once(captured_payment, refund, assert_invariants):
    from payments.services import refund_process

    created = refund(captured_payment, 300)
    refund_process(refund_pk=created.pk)

    captured_payment.refresh_from_db()
    assert captured_payment.amount_refunded == 300
    assert Event.objects.filter(type="refund.succeeded").count() == 1
    assert_invariants()


def test_refund_whose_answer_was_lost_stays_pending_and_completes_once_on_retry(
    captured_payment, assert_invariants
):
    from institutions.connector import ConnectorTimeout
    from payments.services import refund_process

    # On-commit work is not run here, so the task does not fire: the test drives it.
    created = refund_create(
        merchant=captured_payment.merchant, payment_id=captured_payment.public_id, amount=300
    )
    with faults.inject_timeout(after_acting=True, operation="refund"):
        with pytest.raises(ConnectorTimeout):
            refund_process(refund_pk=created.pk)
    created.refresh_from_db()
    assert created.status == Refund.Status.PENDING

    refund_process(refund_pk=created.pk)

    created.refresh_from_db()
    captured_payment.refresh_from_db()
    assert created.status == Refund.Status.SUCCEEDED
    assert captured_payment.amount_refunded == 300
    assert_invariants()


# --- expiry ----------------------------------------------------------------------------------


def test_stale_pending_orders_expire_once(order):
    with time_machine.travel(timezone.now() + timezone.timedelta(hours=25)):
        assert orders_expire() == 1
        assert orders_expire() == 0

    order.refresh_from_db()
    assert order.status == Order.Status.EXPIRED
    assert Event.objects.filter(type="order.expired", object_id=order.public_id).count() == 1


def test_paid_orders_never_expire(captured_payment):
    with time_machine.travel(timezone.now() + timezone.timedelta(days=30)):
        assert orders_expire() == 0


def test_uncaptured_authorizations_expire_after_seven_days_and_release_the_hold(make_order, pay):
    payment = pay(make_order(amount=9000, capture_method="manual"), card(DEBIT_100))

    with time_machine.travel(timezone.now() + timezone.timedelta(days=7, minutes=1)):
        assert authorizations_expire() == 1
        assert authorizations_expire() == 0

    payment.refresh_from_db()
    assert payment.status == Payment.Status.EXPIRED
    assert pay(make_order(amount=9000), card(DEBIT_100)).status == "captured"


def test_order_can_be_canceled_only_while_pending(order, captured_payment):
    with pytest.raises(InvalidTransition):
        order_cancel(order=captured_payment.order)


# --- bank transfer ---------------------------------------------------------------------------


def test_bank_transfer_waits_for_the_money_then_captures(
    order, pay, django_capture_on_commit_callbacks, assert_invariants
):
    payment = pay(order, bank_transfer())
    assert payment.status == "processing"
    assert payment.transfer["account_number"] and payment.transfer["reference"]

    with django_capture_on_commit_callbacks(execute=True):
        done = bank_transfer_simulate(
            transfer_reference=payment.transfer["reference"], amount=payment.amount
        )

    order.refresh_from_db()
    assert done.status == "captured" and order.status == "paid"
    assert_invariants()


def test_bank_transfer_with_the_wrong_amount_is_refused(order, pay):
    payment = pay(order, bank_transfer())

    with pytest.raises(ValidationFailed):
        bank_transfer_simulate(transfer_reference=payment.transfer["reference"], amount=1)

    payment.refresh_from_db()
    assert payment.status == "processing"


def test_unpaid_bank_transfer_expires(order, pay):
    payment = pay(order, bank_transfer())

    with time_machine.travel(timezone.now() + timezone.timedelta(days=4)):
        assert bank_transfers_expire() == 1

    payment.refresh_from_db()
    assert payment.status == "expired"


# --- unknown outcomes ------------------------------------------------------------------------


def test_timeout_before_the_institution_acted_is_reconciled_as_declined(order, pay):
    with faults.inject_timeout(after_acting=False):
        payment = pay(order, card(VISA))
    assert payment.status == "processing"
    assert payment.attempts.get().outcome == PaymentAttempt.Outcome.UNKNOWN

    with time_machine.travel(timezone.now() + timezone.timedelta(minutes=1)):
        assert attempts_reconcile() == 1

    payment.refresh_from_db()
    order.refresh_from_db()
    assert payment.status == "declined" and payment.decline_code == "processing_error"
    assert order.status == "pending"


def test_timeout_after_the_institution_acted_is_reconciled_as_paid(order, pay, assert_invariants):
    with faults.inject_timeout(after_acting=True):
        payment = pay(order, card(VISA))
    assert payment.status == "processing"

    with time_machine.travel(timezone.now() + timezone.timedelta(minutes=1)):
        assert attempts_reconcile() == 1
        assert attempts_reconcile() == 0

    payment.refresh_from_db()
    order.refresh_from_db()
    assert payment.status == "captured" and order.status == "paid"
    assert_invariants()


def test_late_approval_for_a_canceled_payment_releases_the_hold(make_order, pay, merchant):
    order = make_order(amount=9000)
    with faults.inject_timeout(after_acting=True):
        payment = pay(order, card(DEBIT_100))
    # The shopper walked away; the stuck attempt is resolved by reconciliation, which finds the
    # hold; expiry of the order is blocked while the payment is in flight.
    with time_machine.travel(timezone.now() + timezone.timedelta(minutes=1)):
        attempts_reconcile()
    payment.refresh_from_db()
    assert payment.status == "captured"
    assert pay(make_order(amount=2000), card(DEBIT_100)).status == "declined"


def test_a_sale_answered_after_its_payment_was_canceled_is_given_back(make_order, pay):
    from payments.models import Payment

    order = make_order(amount=9000)
    with faults.inject_timeout(after_acting=True):
        payment = pay(order, card(DEBIT_100))  # authorized and captured at once, answer lost
    # No path cancels a payment whose attempt is out; the guard is for one added later.
    Payment.objects.filter(pk=payment.pk).update(status="canceled")
    with time_machine.travel(timezone.now() + timezone.timedelta(minutes=1)):
        attempts_reconcile()

    payment.refresh_from_db()
    assert payment.status == "canceled" and payment.amount_captured == 0
    # The 90.00 the sale took went back to the card: all of its 100.00 can be spent again.
    assert pay(make_order(amount=10_000), card(DEBIT_100)).status == "captured"


def test_an_abandoned_otp_challenge_expires_with_its_order(order, pay):
    from tests.conftest import OTP_CARD

    payment = pay(order, card(OTP_CARD))
    assert payment.status == "requires_action"

    with time_machine.travel(timezone.now() + timezone.timedelta(hours=25)):
        assert orders_expire() == 1

    payment.refresh_from_db()
    order.refresh_from_db()
    assert payment.status == "expired" and order.status == "expired"
    assert payment.otp_challenges.get().status == "expired"


def test_every_lapsed_authorization_expires_in_one_run_and_each_says_so(make_order, pay):
    lapsed = [pay(make_order(amount=900, capture_method="manual"), card(VISA)) for _ in range(2)]
    with time_machine.travel(timezone.now() + timezone.timedelta(days=3)):
        fresh = pay(make_order(amount=900, capture_method="manual"), card(VISA))

    with time_machine.travel(timezone.now() + timezone.timedelta(days=7, minutes=1)):
        assert authorizations_expire() == 2

    for payment in lapsed:
        payment.refresh_from_db()
        assert payment.status == Payment.Status.EXPIRED
        assert Event.objects.filter(type="payment.expired", object_id=payment.public_id).exists()
    fresh.refresh_from_db()
    assert fresh.status == Payment.Status.AUTHORIZED  # its seven days are not over
