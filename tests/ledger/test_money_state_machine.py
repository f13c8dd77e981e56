"""A stateful property test of the money core (hypothesis): random runs of what merchants,
shoppers, staff and beat do — create orders, pay, capture in part or in full, void, refund,
settle at a cut-off, pay out — interleaved over several orders and two currencies, keep every
invariant of docs/architecture.md section 4 after every step: each journal entry balances per
currency, refunded ≤ captured, an order is paid exactly when a payment is captured, a payment is
in at most one batch, and a batch pays captured − refunds − fees.

Failing runs are kept in hypothesis's example database (``.hypothesis/``) and replayed first.
"""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from merchant_portal.invariants import all_violations
from payments.errors import DomainError
from payments.models import Merchant, Payment
from payments.services import (
    authorizations_expire,
    order_create,
    payment_cancel,
    payment_capture,
    payment_create,
    refund_create,
    refund_process,
)
from settlement.services import cutoff_for, payouts_pay_due, settlement_run
from tests.conftest import DEBIT_100, NO_FUNDS, VISA, card

CARDS = st.sampled_from([VISA, VISA, VISA, NO_FUNDS, DEBIT_100])


class MoneyMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.merchant = Merchant.objects.order_by("pk").first()
        # One clock for the whole run, moved forward only: captures, cut-offs and payouts
        # happen in the order a real day would put them.
        self.clock = time_machine.travel(timezone.now(), tick=False)
        self.traveller = self.clock.start()
        self.orders: list = []
        self.payments: list[str] = []

    def teardown(self):
        self.clock.stop()

    def _later(self, minutes: int = 7) -> None:
        self.traveller.shift(timedelta(minutes=minutes))

    def _pick(self, data, statuses):
        """A payment of the run, mostly one in ``statuses`` (sometimes any: refusals too)."""
        wanted = list(
            Payment.objects.filter(public_id__in=self.payments, status__in=statuses)
            .order_by("pk")
            .values_list("public_id", flat=True)
        )
        pool = wanted if wanted and data.draw(st.integers(0, 4), label="any") else self.payments
        return data.draw(st.sampled_from(pool), label="payment")

    @rule(
        amount=st.integers(min_value=50, max_value=150_000),
        currency=st.sampled_from(["USD", "EUR"]),
        manual=st.booleans(),
        number=CARDS,
    )
    def checkout(self, amount, currency, manual, number):
        """A shopper pays a new order by card (a decline leaves the order payable)."""
        order = order_create(
            merchant=self.merchant,
            amount=amount,
            currency=currency,
            reference=f"machine-{id(self)}-{len(self.orders)}",
            capture_method="manual" if manual else "automatic",
        )
        self.orders.append(order)
        self._pay(order, number)

    @precondition(lambda self: self.orders)
    @rule(data=st.data(), number=CARDS)
    def pay_again(self, data, number):
        """Another try on an earlier order: refused once it is paid, expired or canceled."""
        self._pay(data.draw(st.sampled_from(self.orders), label="order"), number)

    def _pay(self, order, number):
        self._later()
        try:
            self.payments.append(payment_create(order=order, method=card(number)).public_id)
        except DomainError:
            pass

    @precondition(lambda self: self.payments)
    @rule(data=st.data(), share=st.integers(min_value=1, max_value=100))
    def capture(self, data, share):
        payment = Payment.objects.get(public_id=self._pick(data, ["authorized"]))
        self._later()
        amount = max(1, payment.amount * share // 100)
        try:
            payment_capture(merchant=self.merchant, payment_id=payment.public_id, amount=amount)
        except DomainError:
            pass

    @precondition(lambda self: self.payments)
    @rule(data=st.data())
    def void(self, data):
        try:
            payment_cancel(merchant=self.merchant, payment_id=self._pick(data, ["authorized"]))
        except DomainError:
            pass

    @precondition(lambda self: self.payments)
    @rule(data=st.data(), share=st.one_of(st.none(), st.integers(min_value=-5, max_value=120)))
    def refund(self, data, share):
        payment = Payment.objects.get(
            public_id=self._pick(data, ["captured", "partially_refunded"])
        )
        amount = None if share is None else payment.amount_captured * share // 100
        self._later()
        try:
            refund = refund_create(
                merchant=self.merchant, payment_id=payment.public_id, amount=amount
            )
        except DomainError:
            return
        refund_process(refund_pk=refund.pk)

    @rule()
    def settle(self):
        # The next day's cut-off, then a little past it: what the beat tick would run.
        cutoff = cutoff_for(timezone.now().date() + timedelta(days=1))
        self.traveller.move_to(cutoff + timedelta(minutes=5))
        settlement_run(cutoff=cutoff)

    @rule(days=st.integers(min_value=1, max_value=8))
    def time_passes(self, days):
        self.traveller.shift(timedelta(days=days))
        authorizations_expire()
        payouts_pay_due(today=timezone.now().date())

    @invariant()
    def every_money_invariant_holds(self):
        assert all_violations() == []


@pytest.mark.django_db
def test_random_runs_of_the_money_core_keep_every_invariant(merchant):
    run_state_machine_as_test(
        MoneyMachine,
        settings=settings(
            max_examples=12,
            stateful_step_count=15,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        ),
    )
