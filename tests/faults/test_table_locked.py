"""A table locked by another connection while a payment is posted with an Idempotency-Key: the
answer is 503 problem+json with Retry-After, nothing is half-written, and the same key retried
once the lock is gone pays the order (the key was not left claimed)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

from tests.api.conftest import card_body
from tests.faults.conftest import api_client, assert_invariants_command

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def web_timeouts(settings):
    """This process's connections get the web's limits, with a short lock wait."""
    from merchant_portal.database import timeouts_apply

    settings.DATABASE_TIMEOUTS = {**settings.DATABASE_TIMEOUTS, "web": (5000, 300)}
    options = dict(connection.settings_dict.get("OPTIONS", {}))
    connection.close()
    timeouts_apply("web")
    yield
    connection.close()
    connection.settings_dict["OPTIONS"] = options


class TableLock:
    """``LOCK TABLE … IN ACCESS EXCLUSIVE MODE`` held by another connection until ``release``:
    not even a read of the table gets through."""

    def __init__(self, table: str) -> None:
        self.locked, self.released = threading.Event(), threading.Event()
        self.thread = threading.Thread(target=self._hold, args=(table,))
        self.thread.start()
        assert self.locked.wait(10)

    def _hold(self, table: str) -> None:
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(
                    f"LOCK TABLE {connection.ops.quote_name(table)} IN ACCESS EXCLUSIVE MODE"
                )
                self.locked.set()
                self.released.wait(30)
        finally:
            connection.close()

    def release(self) -> None:
        self.released.set()
        self.thread.join()


def _order_and_payment_call(api, table: str):
    order = api.post(
        "/api/v1/orders", {"amount": 2500, "currency": "EUR", "reference": table}, format="json"
    )
    assert order.status_code == 201, order.content
    url = f"/api/v1/orders/{order.json()['id']}/payments"
    return order.json()["id"], lambda: api.post(
        url,
        {"payment_method": card_body()},
        format="json",
        HTTP_IDEMPOTENCY_KEY=f"pay-{table}",
    )


@pytest.mark.parametrize(
    "table",
    [
        "payments_order",  # read first, under its row lock
        "payments_idempotencyrecord",  # the key's own claim cannot be written
        "webhooks_webhookdelivery",  # the deliveries of the payment's first event
    ],
)
def test_a_payment_posted_while_a_table_it_needs_first_is_locked_is_a_503_then_the_key_pays(
    merchant, web_timeouts, make_endpoint, table
):
    make_endpoint()
    api = api_client(merchant)
    order_id, pay = _order_and_payment_call(api, table)

    lock = TableLock(table)
    try:
        busy = pay()
    finally:
        lock.release()

    assert busy.status_code == 503, busy.content
    assert busy["Content-Type"] == "application/problem+json"
    assert busy.json()["code"] == "temporarily_unavailable"
    assert int(busy["Retry-After"]) > 0
    order = api.get(f"/api/v1/orders/{order_id}").json()
    assert order["status"] == "pending"  # nothing was done: no payment, no hold

    paid, again = pay(), pay()  # the key was not left claimed

    assert paid.status_code == 201, paid.content
    assert paid.json()["status"] == "captured"
    assert (again.status_code, again["Idempotent-Replayed"]) == (201, "true")
    assert again.json()["id"] == paid.json()["id"]
    assert api.get(f"/api/v1/orders/{order_id}").json()["status"] == "paid"
    assert_invariants_command()


@pytest.mark.parametrize(
    "table",
    [
        "ledger_journalentry",  # the capture's journal entry
    ],
)
def test_a_payment_whose_answer_cannot_be_recorded_stays_processing_and_is_reconciled(
    merchant, web_timeouts, make_endpoint, receiver, table
):
    """The institution approved before the lock stopped us recording it: the answer is not a
    503 ("nothing was done" would be untrue) but the payment, ``processing``, stored under the
    key; the reconciliation applies the institution's answer once the lock is gone."""
    from django.conf import settings
    from django.utils import timezone

    from payments.services import attempts_reconcile

    make_endpoint()
    api = api_client(merchant)
    order_id, pay = _order_and_payment_call(api, table)

    lock = TableLock(table)
    try:
        pending = pay()
    finally:
        lock.release()

    assert pending.status_code == 201, pending.content
    assert pending.json()["status"] == "processing"
    assert api.get(f"/api/v1/orders/{order_id}").json()["status"] == "pending"
    again = pay()
    assert (again.status_code, again["Idempotent-Replayed"]) == (201, "true")
    assert again.json()["id"] == pending.json()["id"]
    assert_invariants_command()

    later = timezone.now() + settings.PAYMENTS_UNKNOWN_OUTCOME_RECONCILE_AFTER
    assert attempts_reconcile(now=later) == 1  # what beat runs every minute

    payment = api.get(f"/api/v1/payments/{pending.json()['id']}").json()
    assert payment["status"] == "captured"
    assert api.get(f"/api/v1/orders/{order_id}").json()["status"] == "paid"
    paid_events = {r.headers["webhook-id"] for r in receiver.requests}
    assert len(paid_events) >= 3  # order.created, payment.captured, order.paid among them
    assert_invariants_command()
