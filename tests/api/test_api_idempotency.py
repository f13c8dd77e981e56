"""Idempotency-Key on POST: replay, mismatch (422), in progress (409), and a real race."""

import threading
from datetime import timedelta

import pytest
from django.utils import timezone

from payments.models import IdempotencyRecord, Order, Payment
from tests.api.conftest import card_body

pytestmark = pytest.mark.django_db

ORDER = {"amount": 1000, "currency": "USD", "reference": "idem-1"}


def test_same_key_and_body_replays_the_first_response(api):
    first = api.post("/api/v1/orders", ORDER, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    second = api.post(
        "/api/v1/orders", dict(reversed(ORDER.items())), format="json", HTTP_IDEMPOTENCY_KEY="k-1"
    )

    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert not first.has_header("Idempotent-Replayed")
    assert Order.objects.count() == 1


def test_payment_is_not_charged_twice_for_a_replayed_key(api, create_order, pay_order):
    order = create_order()

    first = pay_order(order["id"], card_body(), HTTP_IDEMPOTENCY_KEY="pay-1")
    second = pay_order(order["id"], card_body(), HTTP_IDEMPOTENCY_KEY="pay-1")

    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert Payment.objects.count() == 1


def test_client_errors_are_replayed_too(api):
    body = {**ORDER, "amount": -1}

    first = api.post("/api/v1/orders", body, format="json", HTTP_IDEMPOTENCY_KEY="bad")
    second = api.post("/api/v1/orders", body, format="json", HTTP_IDEMPOTENCY_KEY="bad")

    assert first.status_code == second.status_code == 400
    assert second.json() == first.json()
    assert second["Content-Type"] == "application/problem+json"
    assert second["Idempotent-Replayed"] == "true"


def test_same_key_with_another_body_is_422(api):
    api.post("/api/v1/orders", ORDER, format="json", HTTP_IDEMPOTENCY_KEY="k-2")

    response = api.post(
        "/api/v1/orders", {**ORDER, "amount": 2000}, format="json", HTTP_IDEMPOTENCY_KEY="k-2"
    )

    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    assert Order.objects.get().amount == 1000


def test_the_stored_request_hash_gives_away_neither_the_cvc_nor_the_card_number(
    api, create_order, pay_order
):
    """Whoever reads the table cannot test guesses of the card data against the stored hash: a
    plain SHA-256 of the request (whose format is public) would give the CVC away in 1,000
    tries. The CVC is not hashed at all, so a retry differing only in it is a replay."""
    import hashlib
    import json

    order = create_order()
    path = f"/api/v1/orders/{order['id']}/payments"
    body = {"payment_method": card_body(cvc="739")}

    first = pay_order(order["id"], body["payment_method"], HTTP_IDEMPOTENCY_KEY="pay-cvc")
    retried = pay_order(order["id"], card_body(cvc="740"), HTTP_IDEMPOTENCY_KEY="pay-cvc")

    stored = IdempotencyRecord.objects.get(key="pay-cvc").request_hash
    plain = json.dumps(body, sort_keys=True, separators=(",", ":"))
    assert hashlib.sha256(f"POST\n{path}\n{plain}".encode()).hexdigest() != stored
    assert first.status_code == retried.status_code == 201
    assert retried["Idempotent-Replayed"] == "true"
    assert Payment.objects.count() == 1


def test_same_key_on_another_endpoint_is_422(api, create_order):
    order = create_order()
    api.post(f"/api/v1/orders/{order['id']}/cancel", HTTP_IDEMPOTENCY_KEY="k-3")

    response = api.post("/api/v1/orders", ORDER, format="json", HTTP_IDEMPOTENCY_KEY="k-3")

    assert response.status_code == 422


def test_same_key_while_the_first_request_runs_is_409(api):
    api.post("/api/v1/orders", ORDER, format="json", HTTP_IDEMPOTENCY_KEY="busy")
    # Put the record back in the state a request holds while it executes: claimed, unanswered.
    IdempotencyRecord.objects.filter(key="busy").update(response_status=None, response_body=None)

    response = api.post("/api/v1/orders", ORDER, format="json", HTTP_IDEMPOTENCY_KEY="busy")

    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_conflict"
    assert Order.objects.count() == 1


def test_an_abandoned_claim_is_taken_over_after_the_lock_timeout(api, settings):
    import time_machine

    api.post("/api/v1/orders", ORDER, format="json", HTTP_IDEMPOTENCY_KEY="crashed")
    Order.objects.all().delete()  # as if the first process died before its work committed
    IdempotencyRecord.objects.filter(key="crashed").update(response_status=None, response_body=None)

    later = timezone.now() + timedelta(seconds=settings.PAYMENTS_IDEMPOTENCY_LOCK_TIMEOUT + 1)
    with time_machine.travel(later):
        response = api.post("/api/v1/orders", ORDER, format="json", HTTP_IDEMPOTENCY_KEY="crashed")

    assert response.status_code == 201
    assert not response.has_header("Idempotent-Replayed")
    assert Order.objects.count() == 1


def test_keys_are_scoped_per_merchant_and_mode(api, other_api, live_api):
    mine = api.post("/api/v1/orders", ORDER, format="json", HTTP_IDEMPOTENCY_KEY="shared")
    theirs = other_api.post("/api/v1/orders", ORDER, format="json", HTTP_IDEMPOTENCY_KEY="shared")
    live = live_api.post(
        "/api/v1/orders",
        {**ORDER, "reference": "live"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="shared",
    )

    assert mine.status_code == theirs.status_code == live.status_code == 201
    assert len({mine.json()["id"], theirs.json()["id"], live.json()["id"]}) == 3


def test_key_expires_after_24_hours(api):
    import time_machine

    first = api.post("/api/v1/orders", ORDER, format="json", HTTP_IDEMPOTENCY_KEY="old")
    with time_machine.travel(timezone.now() + timedelta(hours=25)):
        again = api.post(
            "/api/v1/orders",
            {**ORDER, "reference": "idem-2"},
            format="json",
            HTTP_IDEMPOTENCY_KEY="old",
        )

    assert again.status_code == 201
    assert again.json()["id"] != first.json()["id"]


@pytest.mark.parametrize("key", ["", "x" * 256, "a\x00b", "tab\there"])
def test_invalid_idempotency_key_is_400(api, key):
    response = api.post("/api/v1/orders", ORDER, format="json", HTTP_IDEMPOTENCY_KEY=key)

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "Idempotency-Key"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_with_one_key_execute_once(merchant):
    from django.db import connection

    from tests.api.conftest import _client_for

    raw_clients = [_client_for(merchant) for _ in range(2)]
    barrier = threading.Barrier(len(raw_clients))
    responses = []

    def send(client):
        try:
            barrier.wait()
            responses.append(
                client.post("/api/v1/orders", ORDER, format="json", HTTP_IDEMPOTENCY_KEY="race")
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(c,)) for c in raw_clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    statuses = sorted(r.status_code for r in responses)
    assert Order.objects.count() == 1
    assert statuses in ([201, 201], [201, 409])
    if statuses == [201, 201]:
        assert sum(r.has_header("Idempotent-Replayed") for r in responses) == 1
