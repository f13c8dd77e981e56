"""Short locks: the institution's books are never locked while we record a payment.

The sandbox behaves like a remote institution: its authorization (with the capture, a sale)
commits on its own before our transaction applies the answer, so the card's account is not held
across our ledger writes and events, and payments with one card do not queue behind each other.
"""

import psycopg
import pytest
from django.db import connection

from payments.models import Order
from payments.services import order_create, payment_create
from payments.signals import event_recorded
from tests.conftest import VISA, card

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

LOCKED = "55P03"  # lock_not_available, what NOWAIT answers for a row another transaction holds


def _other_connection() -> psycopg.Connection:
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    return psycopg.connect(**params, autocommit=True)


def _rows_free(table: str, condition: str) -> bool:
    with _other_connection() as other:
        try:
            other.execute(f"SELECT 1 FROM {table} WHERE {condition} FOR UPDATE NOWAIT")
        except psycopg.errors.LockNotAvailable:
            return False
    return True


@pytest.mark.parametrize("capture_method", ["automatic", "manual"])
def test_the_cards_sandbox_rows_are_free_while_the_payment_is_recorded(merchant, capture_method):
    seen = []

    def probe(sender, event, **kwargs):
        if event.type in ("payment.authorized", "payment.captured", "order.paid"):
            # Inside our transaction, after the ledger entry of the capture: from another
            # connection, the card's account and balances can be locked at once.
            card_rows = "last4 = '4242'"
            seen.append(
                (
                    event.type,
                    _rows_free("institutions_sandboxaccount", card_rows),
                    _rows_free(
                        "institutions_sandboxbalance",
                        "account_id IN (SELECT id FROM institutions_sandboxaccount"
                        f" WHERE {card_rows})",
                    ),
                )
            )

    order = order_create(
        merchant=merchant,
        amount=1000,
        currency="USD",
        reference="short-locks",
        capture_method=capture_method,
    )
    event_recorded.connect(probe)
    try:
        payment = payment_create(order=order, method=card(VISA))
    finally:
        event_recorded.disconnect(probe)

    expected = "captured" if capture_method == "automatic" else "authorized"
    assert payment.status == expected
    assert seen and all(free_account and free_balance for _, free_account, free_balance in seen)
    if capture_method == "automatic":
        assert {kind for kind, *_ in seen} == {
            "payment.authorized",
            "payment.captured",
            "order.paid",
        }
        assert Order.objects.get(pk=order.pk).status == "paid"
