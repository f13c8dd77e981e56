"""Releases of a hold: a merchant's cancel, a shopper's abandon, an authorization that lapsed.

What the institution is asked (each release under its own reference), what it may refuse, and
what the payment records (when it was canceled, its code challenges closed).
"""

import pytest
import time_machine
from django.utils import timezone

import payments.services.captures as captures
from payments.errors import InstitutionUnavailable, InvalidTransition
from payments.models import Event, Payment
from payments.services import (
    authorizations_expire,
    payment_abandon_by_shopper,
    payment_cancel,
    payment_capture,
)
from tests.conftest import OTP_CARD, VISA, card
from tests.payments.conftest import institution_asks

pytestmark = pytest.mark.django_db


@pytest.fixture
def voids(monkeypatch):
    """The references of the releases the institution is asked for; ``voids.refusal`` set to a
    message (possibly empty) makes it refuse them with it."""
    return institution_asks(
        monkeypatch, "void", lambda *, reference, institution_reference: reference
    )


@pytest.fixture
def authorized(make_order, pay):
    def do():
        payment = pay(make_order(amount=900, capture_method="manual"), card(VISA))
        assert payment.status == "authorized"
        return payment

    return do


def test_a_cancel_and_an_expiry_each_release_the_hold_under_their_own_reference(
    authorized, merchant, voids
):
    canceled, lapsed = authorized(), authorized()

    payment_cancel(merchant=merchant, payment_id=canceled.public_id)
    with time_machine.travel(timezone.now() + timezone.timedelta(days=7, minutes=1)):
        assert authorizations_expire() == 1

    assert voids == [f"{canceled.public_id}:void", f"{lapsed.public_id}:expire"]


def test_a_cancel_records_when_the_payment_was_canceled(authorized, merchant):
    payment = authorized()
    with time_machine.travel("2031-05-04 10:20:30Z", tick=False):
        payment_cancel(merchant=merchant, payment_id=payment.public_id)

    payment.refresh_from_db()
    assert payment.status == "canceled"
    assert payment.canceled_at.isoformat() == "2031-05-04T10:20:30+00:00"


@pytest.mark.parametrize(
    ("institution_says", "message"),
    [
        ("The hold is captured.", "The hold is captured."),
        ("", "The institution refused the void."),
    ],
)
def test_a_void_the_institution_refuses_leaves_the_payment_authorized_and_says_why(
    authorized, merchant, voids, institution_says, message
):
    payment = authorized()
    voids.refusal = institution_says

    with pytest.raises(InstitutionUnavailable) as refused:
        payment_cancel(merchant=merchant, payment_id=payment.public_id)

    assert refused.value.message == message
    payment.refresh_from_db()
    assert payment.status == "authorized" and payment.canceled_at is None
    assert not Event.objects.filter(type="payment.canceled", object_id=payment.public_id).exists()


def test_a_refused_cancel_or_abandon_names_the_payments_state(captured_payment):
    with pytest.raises(InvalidTransition) as canceled:
        payment_cancel(merchant=captured_payment.merchant, payment_id=captured_payment.public_id)
    with pytest.raises(InvalidTransition) as abandoned:
        payment_abandon_by_shopper(payment_pk=captured_payment.pk)

    assert canceled.value.message == "A payment that is captured cannot be canceled."
    assert abandoned.value.message == "A payment that is captured cannot be abandoned."


@pytest.mark.parametrize("who", ["merchant", "shopper"])
def test_a_payment_canceled_while_its_code_is_awaited_closes_the_challenge(
    order, pay, merchant, who
):
    payment = pay(order, card(OTP_CARD))
    assert payment.status == "requires_action"
    assert payment.otp_challenges.get().status == "pending"

    if who == "merchant":
        payment_cancel(merchant=merchant, payment_id=payment.public_id)
    else:
        payment_abandon_by_shopper(payment_pk=payment.pk)

    payment.refresh_from_db()
    assert payment.status == Payment.Status.CANCELED
    assert payment.otp_challenges.get().status == "expired"


def test_an_expiry_run_checks_each_locked_payment_again_and_goes_on_to_the_next(
    authorized, monkeypatch
):
    """Between the run's query and a payment's lock another process may capture the payment or
    give it more time (here: until the run's very instant, which is not past it). The run leaves
    such a payment alone and expires the next one."""
    authorized(), authorized(), authorized()
    run_at = timezone.now() + timezone.timedelta(days=7, minutes=1)
    real = captures.locks.payment_with_order
    locked = []

    def meanwhile(*, payment_pk):
        payment = Payment.objects.get(pk=payment_pk)
        if not locked:
            payment_capture(merchant=payment.merchant, payment_id=payment.public_id)
        elif len(locked) == 1:
            Payment.objects.filter(pk=payment_pk).update(authorization_expires_at=run_at)
        locked.append(payment_pk)
        return real(payment_pk=payment_pk)

    monkeypatch.setattr(captures.locks, "payment_with_order", meanwhile)

    assert authorizations_expire(now=run_at) == 1

    statuses = [Payment.objects.get(pk=pk).status for pk in locked]
    assert statuses == ["captured", "authorized", "expired"]
