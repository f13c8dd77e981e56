"""Refunds and events through the API."""

import pytest

from tests.api.conftest import card_body

pytestmark = pytest.mark.django_db


@pytest.fixture
def captured(create_order, pay_order):
    payment = pay_order(create_order()["id"], card_body()).json()
    assert payment["status"] == "captured"
    return payment


def _refund(api, payment_id, body, django_capture_on_commit_callbacks, **headers):
    with django_capture_on_commit_callbacks(execute=True):
        return api.post(f"/api/v1/payments/{payment_id}/refunds", body, format="json", **headers)


def test_partial_refund_is_created_then_succeeds(
    api, captured, django_capture_on_commit_callbacks, assert_invariants
):
    response = _refund(
        api,
        captured["id"],
        {"amount": 300, "reason": "damaged"},
        django_capture_on_commit_callbacks,
    )

    assert response.status_code == 201
    refund = response.json()
    assert refund["object"] == "refund"
    assert refund["amount"] == 300 and refund["reason"] == "damaged"
    assert refund["payment"] == captured["id"]
    assert api.get(f"/api/v1/refunds/{refund['id']}").json()["status"] == "succeeded"
    payment = api.get(f"/api/v1/payments/{captured['id']}").json()
    assert payment["status"] == "partially_refunded" and payment["amount_refunded"] == 300
    assert_invariants()


def test_refund_defaults_to_everything_refundable(
    api, captured, django_capture_on_commit_callbacks, assert_invariants
):
    response = _refund(api, captured["id"], {}, django_capture_on_commit_callbacks)

    assert response.json()["amount"] == 1000
    assert api.get(f"/api/v1/payments/{captured['id']}").json()["status"] == "refunded"
    assert api.get(f"/api/v1/orders/{captured['order']}").json()["status"] == "refunded"
    assert_invariants()


@pytest.mark.parametrize("amount", [1001, 0, -1, 10.0, "100"])
def test_refund_amount_beyond_captured_or_not_an_integer_is_400(
    api, captured, django_capture_on_commit_callbacks, amount
):
    response = _refund(api, captured["id"], {"amount": amount}, django_capture_on_commit_callbacks)

    assert response.status_code == 400
    assert api.get("/api/v1/refunds").json()["data"] == []


def test_refund_of_an_uncaptured_payment_is_409(api, create_order, pay_order):
    payment = pay_order(create_order(capture_method="manual")["id"], card_body()).json()

    response = api.post(f"/api/v1/payments/{payment['id']}/refunds", {}, format="json")

    assert response.status_code == 409


def test_refunds_are_listed_and_isolated(
    api, other_api, live_api, captured, django_capture_on_commit_callbacks
):
    first = _refund(api, captured["id"], {"amount": 100}, django_capture_on_commit_callbacks)
    second = _refund(api, captured["id"], {"amount": 200}, django_capture_on_commit_callbacks)
    rid = first.json()["id"]

    listed = api.get("/api/v1/refunds").json()["data"]
    assert [r["id"] for r in listed] == [second.json()["id"], rid]
    assert [r["id"] for r in api.get(f"/api/v1/refunds?payment={captured['id']}").json()["data"]]
    assert other_api.get(f"/api/v1/refunds/{rid}").status_code == 404
    assert live_api.get(f"/api/v1/refunds/{rid}").status_code == 404
    assert other_api.get("/api/v1/refunds").json()["data"] == []


def test_events_record_every_change_newest_first_and_filter_by_type(api, captured):
    events = api.get("/api/v1/events").json()["data"]
    types = [e["type"] for e in events]

    assert types[:3] == ["order.paid", "payment.captured", "payment.authorized"]
    assert "order.created" in types
    captured_events = api.get("/api/v1/events?type=payment.captured").json()["data"]
    assert len(captured_events) == 1
    event = captured_events[0]
    assert event["object"] == "event"
    assert event["data"]["object"]["id"] == captured["id"]
    assert api.get(f"/api/v1/events/{event['id']}").json() == event


def test_another_merchants_events_are_invisible(api, other_api, live_api, captured):
    event_id = api.get("/api/v1/events").json()["data"][0]["id"]

    assert other_api.get(f"/api/v1/events/{event_id}").status_code == 404
    assert live_api.get(f"/api/v1/events/{event_id}").status_code == 404
    assert other_api.get("/api/v1/events").json()["data"] == []
    assert live_api.get("/api/v1/events").json()["data"] == []
