"""Bulk charges: every row checked before anything is charged, progress, idempotency, and a
worker killed mid-batch resumed by the sweep without charging any item twice."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from payments.models import Order, Payment
from payouts.models import ChargeBatch, ChargeItem
from payouts.services import charge_items_sweep
from payouts.services.charge_batches import _charge, _claim

pytestmark = pytest.mark.django_db


def _rows(cards, count, method="good", amount=1500):
    return [
        {
            "reference": f"sub-{n}",
            "customer": cards["customer"],
            "payment_method": cards[method],
            "amount": amount,
            "currency": "USD",
        }
        for n in range(1, count + 1)
    ]


def _create(api, reference, items):
    return api.post(
        "/api/v1/charge-batches", {"reference": reference, "items": items}, format="json"
    )


def _start(api, batch_id, capture, execute=True):
    with capture(execute=execute):
        return api.post(f"/api/v1/charge-batches/{batch_id}/start", {}, format="json")


def test_every_row_is_checked_first_and_nothing_is_charged(api, cards, sent):
    rows = _rows(cards, 7)
    rows[1]["payment_method"] = "pm_doesnotexist"
    rows[2]["payment_method"] = cards["on_session"]
    rows[3]["amount"] = 0
    rows[4]["reference"] = "sub-1"
    rows[5]["currency"] = "XYZ"

    response = _create(api, "november", rows)

    assert response.status_code == 201, response.content
    body = response.json()
    assert {(r["row"], r["field"], r["code"]) for r in body["rejected"]} == {
        (2, "payment_method", "resource_missing"),
        (3, "payment_method", "off_session_consent_missing"),
        (4, "amount", "invalid_amount"),
        (5, "reference", "duplicate_reference"),
        (6, "currency", "unsupported_currency"),
    }
    assert body["status"] == "ready"
    assert body["progress"] == {
        "total": 2,
        "processed": 0,
        "succeeded": 0,
        "failed": 0,
        "failed_by_code": {},
    }
    assert sent == [] and not Order.objects.exists()


def test_starting_charges_each_item_and_reports_progress_by_decline_code(
    api, cards, sent, django_capture_on_commit_callbacks, assert_invariants
):
    rows = _rows(cards, 3) + _rows(cards, 1, method="lost")
    rows[3]["reference"] = "sub-lost"
    batch = _create(api, "december", rows).json()

    started = _start(api, batch["id"], django_capture_on_commit_callbacks)

    assert started.status_code == 202
    body = api.get(f"/api/v1/charge-batches/{batch['id']}").json()
    assert body["status"] == "completed"
    assert body["progress"] == {
        "total": 4,
        "processed": 4,
        "succeeded": 3,
        "failed": 1,
        "failed_by_code": {"lost_card": 1},
    }
    assert len(sent) == 4 and all(r.merchant_initiated for r in sent)
    assert Payment.objects.filter(status="captured").count() == 3
    assert Order.objects.filter(status="paid").count() == 3
    assert ChargeItem.objects.get(reference="sub-lost").decline_code == "lost_card"
    assert_invariants()


def test_the_same_batch_reference_creates_nothing_new(api, cards):
    first = _create(api, "same", _rows(cards, 2))
    second = _create(api, "same", _rows(cards, 3))

    assert first.status_code == 201 and second.status_code == 200
    assert second.json()["id"] == first.json()["id"]
    assert ChargeBatch.objects.count() == 1 and ChargeItem.objects.count() == 2


def test_starting_twice_charges_once(api, cards, sent, django_capture_on_commit_callbacks):
    batch = _create(api, "twice", _rows(cards, 2)).json()

    _start(api, batch["id"], django_capture_on_commit_callbacks)
    again = _start(api, batch["id"], django_capture_on_commit_callbacks)

    assert again.status_code == 202 and again.json()["status"] == "completed"
    assert len(sent) == 2


def test_a_worker_killed_mid_batch_is_resumed_by_the_sweep_without_charging_twice(
    api, cards, sent, django_capture_on_commit_callbacks, assert_invariants
):
    batch = _create(api, "killed", _rows(cards, 6)).json()
    _start(api, batch["id"], django_capture_on_commit_callbacks, execute=False)  # message lost
    items = list(ChargeItem.objects.order_by("row"))
    now = timezone.now()
    # The worker charged two items and died before recording their outcome, claimed a third
    # and died before calling the institution; three were never reached.
    for item in items[:2]:
        claimed, fresh = _claim(item.pk, now)
        _charge(claimed, fresh=fresh)
    _claim(items[2].pk, now)
    assert len(sent) == 2

    charge_items_sweep(now=now + timedelta(minutes=1))  # the dead worker's claims are fresh
    assert len(sent) == 5
    assert ChargeItem.objects.filter(status="processing").count() == 3
    later = now + timedelta(minutes=6)
    with time_machine.travel(later, tick=False):
        charge_items_sweep(now=later)

    assert len(sent) == 6
    assert sorted(r.reference for r in sent) == sorted(
        Payment.objects.values_list("attempts__public_id", flat=True)
    )
    for item in ChargeItem.objects.select_related("order"):
        assert item.status == "succeeded"
        assert item.order.payments.count() == 1
    assert ChargeBatch.objects.get().status == "completed"
    assert_invariants()


def test_the_sweep_charges_a_started_batch_whose_wake_up_was_lost(
    api, cards, sent, django_capture_on_commit_callbacks
):
    batch = _create(api, "lost-message", _rows(cards, 3)).json()
    _start(api, batch["id"], django_capture_on_commit_callbacks, execute=False)

    charge_items_sweep()

    assert len(sent) == 3
    assert api.get(f"/api/v1/charge-batches/{batch['id']}").json()["status"] == "completed"


def test_a_batch_of_another_merchant_is_not_found(api, other_api, cards):
    batch = _create(api, "mine", _rows(cards, 1)).json()

    assert other_api.get(f"/api/v1/charge-batches/{batch['id']}").status_code == 404
    response = other_api.post(f"/api/v1/charge-batches/{batch['id']}/start", {}, format="json")
    assert response.status_code == 404
    assert response.json()["code"] == "resource_missing"


def test_a_batch_with_no_acceptable_row_is_a_400(api, cards):
    response = _create(api, "bad", _rows(cards, 2, method="on_session"))

    assert response.status_code == 400
    assert {(e["field"], e["code"]) for e in response.json()["errors"]} == {
        ("items.0.payment_method", "off_session_consent_missing"),
        ("items.1.payment_method", "off_session_consent_missing"),
    }
    assert not ChargeBatch.objects.exists()


def test_a_card_detached_after_the_check_fails_its_item_and_the_others_are_charged(
    api, cards, sent, django_capture_on_commit_callbacks
):
    rows = _rows(cards, 2) + [{**_rows(cards, 1, method="lost")[0], "reference": "gone"}]
    batch = _create(api, "detached", rows).json()
    url = f"/api/v1/customers/{cards['customer']}/payment-methods/{cards['lost']}"
    assert api.delete(url, format="json").status_code == 200

    _start(api, batch["id"], django_capture_on_commit_callbacks)

    progress = api.get(f"/api/v1/charge-batches/{batch['id']}").json()["progress"]
    assert progress["succeeded"] == 2
    assert progress["failed_by_code"] == {"resource_missing": 1}
    assert len(sent) == 2
