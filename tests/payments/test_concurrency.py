"""Races on PostgreSQL with real threads: row locks keep every money invariant."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from payments.errors import DomainError
from payments.models import Order, Payment, Refund
from payments.services import (
    order_create,
    otp_verify,
    payment_cancel,
    payment_capture,
    payment_create,
    refund_create,
    refund_process,
)
from tests.conftest import OTP_CARD, VISA, card

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def race(n: int, fn):
    """Run ``fn(i)`` in ``n`` threads released together; return results or raised errors."""
    barrier = threading.Barrier(n)

    def run(i):
        barrier.wait()
        try:
            return fn(i)
        except Exception as err:  # noqa: BLE001 - the race's losers are part of the result
            return err
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(run, range(n)))


def _order(merchant, **kw):
    return order_create(merchant=merchant, amount=1000, currency="USD", reference="race", **kw)


def test_twenty_simultaneous_refunds_never_refund_more_than_captured(merchant, assert_invariants):
    payment = payment_create(order=_order(merchant), method=card(VISA))
    assert payment.status == "captured"

    results = race(
        20,
        lambda i: refund_create(merchant=merchant, payment_id=payment.public_id, amount=150),
    )

    created = [r for r in results if isinstance(r, Refund)]
    assert len(created) == 6  # 6 x 150 = 900 <= 1000; a 7th would exceed the captured amount
    assert all(isinstance(r, DomainError) for r in results if not isinstance(r, Refund))
    race(len(created), lambda i: refund_process(refund_pk=created[i].pk))
    payment.refresh_from_db()
    assert payment.amount_refunded == 900 <= payment.amount_captured
    assert_invariants()


def test_capture_and_cancel_racing_end_in_exactly_one(merchant, assert_invariants):
    for round_ in range(5):
        order = order_create(
            merchant=merchant,
            amount=1000,
            currency="USD",
            reference=f"cc-{round_}",
            capture_method="manual",
        )
        payment = payment_create(order=order, method=card(VISA))
        ops = [payment_capture, payment_cancel]

        def op(i, ops=ops, payment_id=payment.public_id):
            return ops[i](merchant=merchant, payment_id=payment_id)

        results = race(2, op)

        won = [r for r in results if isinstance(r, Payment)]
        assert len(won) == 1, results
        payment.refresh_from_db()
        order.refresh_from_db()
        assert payment.status in ("captured", "canceled")
        assert (order.status == "paid") == (payment.status == "captured")
    assert_invariants()


def test_two_verifications_with_the_right_code_succeed_once(merchant, assert_invariants):
    import re

    from payments.models import OutboxMessage

    payment = payment_create(order=_order(merchant), method=card(OTP_CARD))
    code = re.search(r"\d{6}", OutboxMessage.objects.get(payment=payment).body).group(0)

    results = race(2, lambda i: otp_verify(payment_pk=payment.pk, code=code))

    assert sum(isinstance(r, Payment) for r in results) == 1, results
    payment.refresh_from_db()
    assert payment.status == "captured"
    assert payment.attempts.filter(authenticated=True).count() == 1
    assert_invariants()


def test_a_double_submitted_payment_charges_once(merchant, assert_invariants):
    order = _order(merchant)

    results = race(8, lambda i: payment_create(order=order, method=card(VISA)))

    assert sum(isinstance(r, Payment) for r in results) == 1, results
    assert Payment.objects.filter(order=order).count() == 1
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert_invariants()


def test_simultaneous_wrong_codes_of_one_card_on_many_orders_stop_at_the_cap(merchant, settings):
    """Issue 17, point 2: the card's counter is locked, so no more than the cap are checked."""
    from payments.errors import OtpError
    from payments.models import OtpLimitCounter
    from tests.conftest import OTP_ALWAYS_CARD

    settings.PAYMENTS_OTP_MAX_FAILURES_PER_CARD = 4
    settings.PAYMENTS_OTP_MAX_SENDS_PER_DESTINATION = 100
    payments = [
        payment_create(
            order=order_create(
                merchant=merchant, amount=1000, currency="USD", reference=f"otp-race-{i}"
            ),
            method=card(OTP_ALWAYS_CARD),
        )
        for i in range(8)
    ]
    assert {p.status for p in payments} == {"requires_action"}

    results = race(8, lambda i: otp_verify(payment_pk=payments[i].pk, code="000000"))

    checked_wrong = [r for r in results if isinstance(r, OtpError)]
    locked = [r for r in results if isinstance(r, Payment)]
    assert len(checked_wrong) == 3  # the 4th wrong code reaches the cap and declines
    assert len(locked) == 5
    assert {p.decline_code for p in locked} == {"authentication_locked"}
    counter = OtpLimitCounter.objects.get(scope="card_failures")
    assert counter.count == 4
