"""The settlement API: list, retrieve and the CSV report, scoped to the key's merchant and mode."""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from payments.services import api_key_create
from settlement.models import SettlementBatch
from tests.settlement.conftest import utc

pytestmark = pytest.mark.django_db


def client_for(merchant, livemode=False) -> APIClient:
    client = APIClient()
    client.credentials(
        HTTP_AUTHORIZATION="Bearer " + api_key_create(merchant=merchant, livemode=livemode)[1]
    )
    return client


@pytest.fixture
def batch(merchant, capture_at, refund_at, settle) -> SettlementBatch:
    first = capture_at(utc(2026, 11, 22, 9), amount=4000)
    settle(date(2026, 11, 23))
    refund_at(first, utc(2026, 11, 23, 8), amount=1500)
    capture_at(utc(2026, 11, 23, 10), amount=1000, reference="shop-1")
    capture_at(utc(2026, 11, 23, 11), amount=2550, reference="shop-2")
    (closed,) = settle(date(2026, 11, 24))
    return closed


def read_csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(body)))


def test_the_list_shows_the_merchants_settlements_newest_first(merchant, batch):
    response = client_for(merchant).get("/api/v1/settlements")

    assert response.status_code == 200
    data = response.json()
    assert data["object"] == "list"
    assert [s["id"] for s in data["data"]] == list(
        SettlementBatch.objects.order_by("-created", "-id").values_list("public_id", flat=True)
    )


def test_a_settlement_shows_its_totals_and_payout(merchant, batch):
    response = client_for(merchant).get(f"/api/v1/settlements/{batch.public_id}")

    assert response.status_code == 200
    body = response.json()
    assert body["object"] == "settlement"
    assert body["gross_amount"] == 3550
    assert body["refunds_amount"] == 1500
    assert body["fees_amount"] == batch.fees_amount
    assert body["payout_amount"] == 3550 - 1500 - batch.fees_amount
    assert body["payout"] == batch.payout.public_id
    assert body["payout_date"] == "2026-11-27"  # Thanksgiving skipped


def test_the_list_filters_by_status(merchant, batch):
    response = client_for(merchant).get("/api/v1/settlements", {"status": "paid"})

    assert response.json()["data"] == []


def test_the_report_has_a_line_per_payment_and_refund_and_totals_equal_to_the_payout(
    merchant, batch
):
    response = client_for(merchant).get(f"/api/v1/settlements/{batch.public_id}/report.csv")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv"
    assert "attachment" in response["Content-Disposition"]
    rows = read_csv(response)
    header, lines = rows[0], [r for r in rows[1:] if r[0] != "total"]
    totals = {r[1]: Decimal(r[8]) for r in rows[1:] if r[0] == "total"}
    assert header[:2] == ["type", "id"]
    assert sorted(r[0] for r in lines) == ["payment", "payment", "refund"]
    assert {r[3] for r in lines if r[0] == "payment"} == {"shop-1", "shop-2"}
    assert sum(Decimal(r[8]) for r in lines) == totals["net"]
    assert totals["net"] + totals["carry_in"] + totals["carry_out"] == totals["payout"]
    assert totals["payout"] == Decimal(batch.payout_amount) / 100
    # 2.90% of 25.50 is 0.7395 -> 0.74, plus 0.30: amounts keep the currency's two decimals.
    assert ["-0.59", "-1.04"] == sorted(r[7] for r in lines if r[0] == "payment")


def test_the_report_can_be_requested_as_text_csv(merchant, batch):
    response = client_for(merchant).get(
        f"/api/v1/settlements/{batch.public_id}/report.csv", HTTP_ACCEPT="text/csv"
    )

    assert response.status_code == 200


@pytest.mark.parametrize("suffix", ["", "/report.csv"])
def test_another_merchants_settlement_is_not_found(other_merchant, batch, suffix):
    response = client_for(other_merchant).get(f"/api/v1/settlements/{batch.public_id}{suffix}")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "resource_missing"


def test_a_live_key_does_not_see_test_mode_settlements(merchant, batch):
    merchant.live_enabled = True
    merchant.save()
    client = client_for(merchant, livemode=True)

    assert client.get("/api/v1/settlements").json()["data"] == []
    assert client.get(f"/api/v1/settlements/{batch.public_id}").status_code == 404


def test_another_merchant_lists_none_of_them(other_merchant, batch):
    assert client_for(other_merchant).get("/api/v1/settlements").json()["data"] == []


def test_settlements_need_an_api_key(batch):
    response = APIClient().get("/api/v1/settlements")

    assert response.status_code == 401


def test_the_list_filters_by_payout_date(merchant, batch):
    client = client_for(merchant)

    due = client.get("/api/v1/settlements", {"payout_date_after": "2026-11-27"}).json()["data"]
    bad = client.get("/api/v1/settlements", {"payout_date_after": "next week"})

    assert [s["id"] for s in due] == [batch.public_id]
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["field"] == "payout_date_after"


def test_the_paid_event_is_listed_by_the_events_api(
    merchant, batch, django_capture_on_commit_callbacks
):
    from settlement.services import payouts_pay_due

    with django_capture_on_commit_callbacks(execute=True):
        payouts_pay_due(today=date(2026, 11, 27))

    events = client_for(merchant).get("/api/v1/events").json()["data"]
    paid = next(e for e in events if e["type"] == "settlement.paid")
    assert paid["data"]["object"]["id"] == batch.payout.public_id
    assert paid["data"]["object"]["settlement"] == batch.public_id


def test_closing_a_batch_tells_the_merchant_with_its_totals_and_payout(merchant, batch):
    events = client_for(merchant).get("/api/v1/events").json()["data"]

    closed = [e for e in events if e["type"] == "settlement.closed"]
    assert len(closed) == 2  # the batch of Nov 23 and this one
    mine = next(e for e in closed if e["data"]["object"]["id"] == batch.public_id)
    settlement = mine["data"]["object"]
    assert settlement["status"] == "closed"
    assert (settlement["gross_amount"], settlement["refunds_amount"]) == (3550, 1500)
    assert settlement["payout_amount"] == batch.payout_amount
    assert settlement["payout"] == batch.payout.public_id
    assert settlement["payout_date"] == batch.payout_date.isoformat()


def test_a_webhook_endpoint_can_subscribe_to_closed_settlements(merchant):
    response = client_for(merchant).post(
        "/api/v1/webhook-endpoints",
        {"url": "https://example.com/hooks", "enabled_events": ["settlement.closed"]},
        format="json",
    )

    assert response.status_code == 201, response.content
    assert response.json()["enabled_events"] == ["settlement.closed"]


def test_a_reference_that_looks_like_a_formula_is_defused_in_the_report(
    merchant, capture_at, settle
):
    capture_at(utc(2026, 11, 23, 10), reference='=HYPERLINK("http://evil")')
    (closed,) = settle(date(2026, 11, 24))

    response = client_for(merchant).get(f"/api/v1/settlements/{closed.public_id}/report.csv")

    (line,) = [r for r in read_csv(response)[1:] if r[0] == "payment"]
    assert line[3] == '\'=HYPERLINK("http://evil")'
