"""Property-based tests of the payment and order state machines (hypothesis).

Random sequences of what merchants, shoppers and beat tasks can do to one order never break a
money invariant, and every transition outside DESIGN section 3 is refused.
"""

import pytest
from django_fsm import TransitionNotAllowed
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from payments.errors import DomainError
from payments.models import Order, Payment, Refund
from payments.services import (
    order_create,
    payment_cancel,
    payment_capture,
    payment_create,
    refund_create,
    refund_process,
)
from tests.conftest import DEBIT_100, NO_FUNDS, OTP_CARD, VISA, card

pytestmark = pytest.mark.django_db

# DESIGN section 3, written out independently of the models.
PAYMENT_TRANSITIONS = {
    "start": {"requires_payment_method"},
    "require_action": {"processing"},
    "resume": {"requires_action"},
    "authorize": {"processing"},
    "decline": {"processing", "requires_action"},
    "capture": {"authorized"},
    "refund_partially": {"captured", "partially_refunded"},
    "refund_fully": {"captured", "partially_refunded"},
    "void": {"authorized", "processing", "requires_action"},
    "abandon": {"processing", "requires_action"},
    "expire": {"authorized", "processing", "requires_action"},
}
ORDER_TRANSITIONS = {
    "pay": {"pending"},
    "refund_partially": {"paid", "partially_refunded"},
    "refund_fully": {"paid", "partially_refunded"},
    "cancel": {"pending"},
    "expire": {"pending"},
}


@pytest.mark.parametrize(
    ("model", "table"), [(Payment, PAYMENT_TRANSITIONS), (Order, ORDER_TRANSITIONS)]
)
@given(data=st.data())
@settings(max_examples=60, deadline=None)
def test_only_the_designed_transitions_are_allowed(model, table, data):
    state = data.draw(st.sampled_from(model.Status.values))
    name = data.draw(st.sampled_from(sorted(table)))
    # A bank transfer: in ``processing`` it waits for the shopper, so it may be voided or
    # abandoned there (a card payment there is being authorized; see the test below).
    obj = model(method_type=Payment.Method.BANK_TRANSFER) if model is Payment else model()
    model._meta.get_field("status").set_state(obj, state)

    if state in table[name]:
        getattr(obj, name)()
    else:
        with pytest.raises(TransitionNotAllowed):
            getattr(obj, name)()


@pytest.mark.parametrize("name", ["void", "abandon"])
def test_a_card_payment_being_authorized_cannot_be_voided_or_abandoned(name):
    payment = Payment(method_type=Payment.Method.CARD)
    Payment._meta.get_field("status").set_state(payment, Payment.Status.PROCESSING)

    with pytest.raises(TransitionNotAllowed):
        getattr(payment, name)()


OPERATIONS = st.lists(
    st.one_of(
        st.tuples(st.just("pay"), st.sampled_from([VISA, NO_FUNDS, DEBIT_100, OTP_CARD])),
        st.tuples(st.just("capture"), st.integers(min_value=1, max_value=1200)),
        st.tuples(st.just("cancel"), st.none()),
        st.tuples(st.just("refund"), st.integers(min_value=-5, max_value=1200)),
        st.tuples(st.just("refund_all"), st.none()),
    ),
    min_size=1,
    max_size=8,
)


@given(ops=OPERATIONS, manual=st.booleans())
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_any_sequence_of_operations_keeps_every_money_invariant(
    merchant, assert_invariants, ops, manual
):
    order = order_create(
        merchant=merchant,
        amount=1000,
        currency="USD",
        reference=f"prop-{Order.objects.count()}",
        capture_method="manual" if manual else "automatic",
    )
    for op, arg in ops:
        payment = order.payments.order_by("-id").first()
        try:
            if op == "pay":
                payment_create(order=order, method=card(arg))
            elif op == "capture" and payment:
                payment_capture(merchant=merchant, payment_id=payment.public_id, amount=arg)
            elif op == "cancel" and payment:
                payment_cancel(merchant=merchant, payment_id=payment.public_id)
            elif op in ("refund", "refund_all") and payment:
                refund = refund_create(
                    merchant=merchant,
                    payment_id=payment.public_id,
                    amount=arg if op == "refund" else None,
                )
                refund_process(refund_pk=refund.pk)
        except DomainError:
            pass  # refused operations are part of the property: they must change nothing
        assert_invariants()

    order.refresh_from_db()
    captured = order.payments.filter(status__in=Payment.CAPTURED_STATES)
    assert captured.count() <= 1
    for payment in captured:
        refunded = sum(r.amount for r in payment.refunds.filter(status=Refund.Status.SUCCEEDED))
        assert payment.amount_refunded == refunded <= payment.amount_captured
