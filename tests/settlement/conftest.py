"""Fixtures of the settlement tests: payments captured and refunded at chosen instants."""

from datetime import UTC, datetime

import pytest
import time_machine

from payments.services import refund_create


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def capture_at(make_order, pay):
    """Pay an order (a Visa card, captured automatically) as if at ``when``."""

    def do(when: datetime, **order_kwargs):
        with time_machine.travel(when, tick=False):
            payment = pay(make_order(**order_kwargs))
        assert payment.status == "captured", payment.decline_code
        return payment

    return do


@pytest.fixture
def refund_at(django_capture_on_commit_callbacks):
    """Refund a payment as if at ``when``; the institution answers on commit."""

    def do(payment, when: datetime, amount: int | None = None):
        with (
            time_machine.travel(when, tick=False),
            django_capture_on_commit_callbacks(execute=True),
        ):
            refund = refund_create(
                merchant=payment.merchant, payment_id=payment.public_id, amount=amount
            )
        refund.refresh_from_db()
        assert refund.status == "succeeded", refund.failure_code
        return refund

    return do


@pytest.fixture
def settle(django_capture_on_commit_callbacks):
    """Run the settlement of a cut-off day (00:00 UTC) as if just after it."""
    from settlement.services import cutoff_for, settlement_run

    def do(day):
        cutoff = cutoff_for(day)
        with (
            time_machine.travel(cutoff, tick=False),
            django_capture_on_commit_callbacks(execute=True),
        ):
            return settlement_run(cutoff=cutoff)

    return do


# Staff users with TOTP devices and signed-in clients, as the admin tests build them.
from tests.admin.conftest import login, make_staff  # noqa: E402, F401
