"""Every state machine of DESIGN section 3, edge for edge: the code has exactly the states and
transitions written there, plus the few extensions listed here with their reason, and no status
can be assigned outside a transition."""

import pytest

from billing.models import Subscription
from payments.models import Order, Payment, Refund
from payouts.models import ChargeBatch, ChargeItem, PayoutBatch, PayoutItem
from risk.models import Dispute, Review
from settlement.models import SettlementBatch
from webhooks.models import WebhookDelivery


def _chain(*states: str) -> set[tuple[str, str]]:
    return set(zip(states, states[1:], strict=False))


# DESIGN section 3, written out by hand from its text.
PAYMENT_DESIGN = (
    _chain(
        "requires_payment_method",
        "processing",
        "requires_action",
        "processing",
        "authorized",
        "captured",
        "partially_refunded",
        "refunded",
    )
    | {("captured", "refunded")}  # a full refund needs no partial one first
    | {("partially_refunded", "partially_refunded")}  # a second partial refund
    | {("processing", "declined"), ("authorized", "canceled"), ("authorized", "expired")}
)
# Extensions the product needs beyond DESIGN's picture (kept here so that any further one is
# a deliberate change): the issuer or the holder can decline at the OTP step; a challenge or a
# bank transfer the shopper walks away from is canceled, and expires with its order's deadline.
PAYMENT_EXTENSIONS = {
    ("requires_action", "declined"),
    ("processing", "canceled"),
    ("requires_action", "canceled"),
    ("processing", "expired"),
    ("requires_action", "expired"),
}
ORDER_DESIGN = _chain("pending", "paid", "partially_refunded", "refunded") | {
    ("paid", "refunded"),
    ("partially_refunded", "partially_refunded"),
    ("pending", "canceled"),
    ("pending", "expired"),
}
REFUND_DESIGN = {("pending", "succeeded"), ("pending", "failed")}
SETTLEMENT_BATCH_DESIGN = _chain("open", "closed", "paid")
WEBHOOK_DELIVERY_DESIGN = {
    ("pending", "succeeded"),
    ("pending", "retrying"),
    ("retrying", "retrying"),
    ("retrying", "succeeded"),
    ("retrying", "failed"),
}
# A receiver answering 410 Gone (or an endpoint disabled meanwhile) fails a delivery at once;
# a manual redelivery starts any delivery over.
WEBHOOK_DELIVERY_EXTENSIONS = {("pending", "failed")} | {
    (state, "pending") for state in ("pending", "retrying", "succeeded", "failed")
}

SUBSCRIPTION_DESIGN = {
    ("incomplete", "trialing"),
    ("incomplete", "active"),
    ("trialing", "active"),
    ("active", "past_due"),
    ("past_due", "unpaid"),
    ("past_due", "canceled"),
    ("active", "paused"),
    ("paused", "active"),
}
# A retry that succeeds recovers a past-due subscription, and a new card paid on the hosted
# update page an unpaid one; the first charge after a trial can fail like a renewal; a merchant
# may cancel a subscription in any state that still bills.
SUBSCRIPTION_EXTENSIONS = {
    ("past_due", "active"),
    ("unpaid", "active"),
    ("trialing", "past_due"),
} | {(state, "canceled") for state in ("incomplete", "trialing", "active", "unpaid", "paused")}

PAYOUT_BATCH_DESIGN = _chain("pending_approval", "approved", "processing", "completed") | {
    ("pending_approval", "canceled")
}
PAYOUT_ITEM_DESIGN = _chain("pending", "processing", "paid", "returned") | {
    ("processing", "failed"),
    ("pending", "failed"),  # its batch canceled before approval
}
CHARGE_BATCH_DESIGN = _chain("ready", "running", "completed")
CHARGE_ITEM_DESIGN = {
    ("pending", "processing"),
    ("processing", "succeeded"),
    ("processing", "failed"),
}

REVIEW_DESIGN = {("open", end) for end in ("approved", "canceled", "refunded", "closed")}
DISPUTE_DESIGN = (
    _chain("needs_response", "under_review", "won")
    | {("under_review", "lost"), ("needs_response", "lost")}  # accepting loses at once
    | _chain("warning_needs_response", "warning_under_review", "warning_closed")
)

MACHINES = [
    pytest.param(Payment, PAYMENT_DESIGN | PAYMENT_EXTENSIONS, id="payment"),
    pytest.param(Order, ORDER_DESIGN, id="order"),
    pytest.param(Refund, REFUND_DESIGN, id="refund"),
    pytest.param(SettlementBatch, SETTLEMENT_BATCH_DESIGN, id="settlement_batch"),
    pytest.param(
        WebhookDelivery,
        WEBHOOK_DELIVERY_DESIGN | WEBHOOK_DELIVERY_EXTENSIONS,
        id="webhook_delivery",
    ),
    pytest.param(Subscription, SUBSCRIPTION_DESIGN | SUBSCRIPTION_EXTENSIONS, id="subscription"),
    pytest.param(PayoutBatch, PAYOUT_BATCH_DESIGN, id="payout_batch"),
    pytest.param(PayoutItem, PAYOUT_ITEM_DESIGN, id="payout_item"),
    pytest.param(ChargeBatch, CHARGE_BATCH_DESIGN, id="charge_batch"),
    pytest.param(ChargeItem, CHARGE_ITEM_DESIGN, id="charge_item"),
    pytest.param(Review, REVIEW_DESIGN, id="review"),
    pytest.param(Dispute, DISPUTE_DESIGN, id="dispute"),
]


def _edges(model) -> set[tuple[str, str]]:
    field = model._meta.get_field("status")
    return {(t.source, t.target) for t in field.get_all_transitions(model)}


@pytest.mark.parametrize(("model", "edges"), MACHINES)
def test_the_code_has_exactly_the_designed_transitions(model, edges):
    assert _edges(model) == edges


@pytest.mark.parametrize(("model", "edges"), MACHINES)
def test_the_code_has_exactly_the_designed_states(model, edges):
    states = {state for edge in edges for state in edge}

    assert set(model.Status.values) == states


@pytest.mark.parametrize(("model", "edges"), MACHINES)
def test_a_status_cannot_be_assigned_outside_a_transition(model, edges):
    obj = model()

    with pytest.raises(AttributeError):
        obj.status = "anything"
