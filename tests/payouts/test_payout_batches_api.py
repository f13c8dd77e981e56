"""Bulk payouts through the API: the row-by-row report, idempotency, the SEPA file."""

from decimal import Decimal
from xml.etree import ElementTree

import pytest

from ledger.selectors import account_balance
from payouts.models import PayoutBatch, PayoutItem, Recipient
from payouts.sepa import sepa_credit_transfer
from payouts.services import payout_batch_approve, payout_batch_submit
from tests.payouts.conftest import payout_rows

pytestmark = pytest.mark.django_db

NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"}


def _post(api, body, **headers):
    return api.post("/api/v1/payout-batches", body, format="json", **headers)


def _broken(iban: str) -> str:
    """The IBAN with a wrong check digit."""
    digit = (int(iban[3]) + 1) % 10
    return iban[:3] + str(digit) + iban[4:]


def thousand_rows_with_four_bad():
    rows = payout_rows(1000)
    for n in (10, 500, 999):
        rows[n - 1]["iban"] = _broken(rows[n - 1]["iban"])
    rows[699]["reference"] = rows[698]["reference"]  # row 700 repeats row 699's reference
    return rows


def test_a_thousand_rows_with_three_bad_ibans_and_a_duplicate_refuse_exactly_those_four(
    api, merchant, settled, make_staff, assert_invariants
):
    settled(300_000_000)
    rows = thousand_rows_with_four_bad()

    response = _post(api, {"reference": "payroll-2026-11", "items": rows})

    assert response.status_code == 201, response.content
    body = response.json()
    rejected = body["rejected"]
    assert sorted(r["row"] for r in rejected) == [10, 500, 700, 999]
    assert {r["row"]: (r["field"], r["code"]) for r in rejected} == {
        10: ("iban", "invalid_iban"),
        500: ("iban", "invalid_iban"),
        700: ("reference", "duplicate_reference"),
        999: ("iban", "invalid_iban"),
    }
    assert all(r["message"] for r in rejected)
    assert body["rows_total"] == 1000
    assert body["accepted"] == 996
    assert body["totals"] == {"EUR": 996 * 1000}
    assert body["status"] == "pending_approval"
    assert PayoutItem.objects.count() == 996
    assert Recipient.objects.count() == 996

    again = _post(api, {"reference": "payroll-2026-11", "items": rows})

    assert again.status_code == 200
    assert again.json()["id"] == body["id"]
    assert PayoutBatch.objects.count() == 1
    assert PayoutItem.objects.count() == 996
    assert Recipient.objects.count() == 996

    batch = PayoutBatch.objects.get()
    payout_batch_approve(batch=batch, user=make_staff(merchant))
    payout_batch_submit(batch=batch)
    xml = ElementTree.fromstring(sepa_credit_transfer(batch=batch))
    header = xml.find("p:CstmrCdtTrfInitn/p:GrpHdr", NS)
    assert header.find("p:NbOfTxs", NS).text == "996"
    assert Decimal(header.find("p:CtrlSum", NS).text) == Decimal("9960.00")
    info = xml.find("p:CstmrCdtTrfInitn/p:PmtInf", NS)
    assert info.find("p:NbOfTxs", NS).text == "996"
    assert Decimal(info.find("p:CtrlSum", NS).text) == Decimal("9960.00")
    end_to_end = [e.text for e in xml.iterfind(".//p:CdtTrfTxInf/p:PmtId/p:EndToEndId", NS)]
    assert sorted(end_to_end) == sorted(PayoutItem.objects.values_list("reference", flat=True))
    assert (
        account_balance(owner=merchant.public_id, kind="merchant_payout_hold", currency="EUR")
        == -996_000
    )
    assert_invariants()


def test_each_kind_of_refused_row_is_reported_with_its_field_and_code(api, settled):
    settled(1_000_000)  # about 9,700 EUR settled
    rows = payout_rows(6)
    rows[0]["iban"] = "not an iban"
    rows[1]["currency"] = "GBP"  # a currency the merchant holds no balance in
    rows[2]["amount"] = 99_000_000  # above the balance
    rows[3]["amount"] = -5
    rows[4]["name"] = ""
    response = _post(api, {"reference": "mixed", "items": [*rows, "not an object"]})

    assert response.status_code == 201, response.content
    got = {(r["row"], r["field"], r["code"]) for r in response.json()["rejected"]}
    assert got == {
        (1, "iban", "invalid_iban"),
        (2, "currency", "currency_not_held"),
        (3, "amount", "insufficient_balance"),
        (4, "amount", "invalid_amount"),
        (5, "name", "required"),
        (7, "", "invalid_item"),
    }
    assert response.json()["accepted"] == 1


def test_rows_past_the_balance_are_refused_in_row_order(api, settled):
    available = settled(1_000_000)
    rows = payout_rows(3, amount=available // 2)

    response = _post(api, {"reference": "over", "items": rows})

    assert [(r["row"], r["code"]) for r in response.json()["rejected"]] == [
        (3, "insufficient_balance")
    ]


def test_a_reference_paid_by_an_earlier_batch_is_a_duplicate(api, settled):
    settled(1_000_000)
    _post(api, {"reference": "first", "items": payout_rows(2)})

    response = _post(api, {"reference": "second", "items": payout_rows(3)})

    assert [(r["row"], r["code"]) for r in response.json()["rejected"]] == [
        (1, "duplicate_reference"),
        (2, "duplicate_reference"),
    ]
    assert response.json()["accepted"] == 1


def test_a_batch_with_no_acceptable_row_is_a_400_and_creates_nothing(api, settled):
    settled(1_000_000)
    rows = payout_rows(2)
    for row in rows:
        row["iban"] = "DE00123"

    response = _post(api, {"reference": "all-bad", "items": rows})

    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")
    errors = response.json()["errors"]
    assert [(e["field"], e["code"]) for e in errors] == [
        ("items.0.iban", "invalid_iban"),
        ("items.1.iban", "invalid_iban"),
    ]
    assert not PayoutBatch.objects.exists()


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({"items": [{}]}, "reference", "required"),
        ({"reference": "x", "items": []}, "items", "empty"),
        ({"reference": "x", "items": "rows"}, "items", "not_a_list"),
        ({"reference": "x", "items": [{}], "extra": 1}, "extra", "unknown_field"),
    ],
)
def test_a_malformed_request_is_answered_field_by_field(api, body, field, code):
    response = _post(api, body)

    assert response.status_code == 400
    assert (field, code) in {(e["field"], e["code"]) for e in response.json()["errors"]}


def test_more_than_ten_thousand_items_are_refused(api):
    response = _post(api, {"reference": "big", "items": [{}] * 10_001})

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "items"


def test_the_idempotency_key_replays_the_first_answer(api, settled):
    settled(1_000_000)
    body = {"reference": "keyed", "items": payout_rows(2)}

    first = _post(api, body, HTTP_IDEMPOTENCY_KEY="k-1")
    second = _post(api, body, HTTP_IDEMPOTENCY_KEY="k-1")

    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()


def test_another_merchant_cannot_see_the_batch(api, other_api, settled):
    settled(1_000_000)
    batch = _post(api, {"reference": "mine", "items": payout_rows(1)}).json()

    assert api.get(f"/api/v1/payout-batches/{batch['id']}").status_code == 200
    assert other_api.get(f"/api/v1/payout-batches/{batch['id']}").status_code == 404
    assert other_api.get("/api/v1/payout-batches").json()["data"] == []


def test_values_of_the_wrong_type_are_refused_rows_not_errors(api, settled):
    settled(1_000_000)
    good = payout_rows(1)[0]
    rows = [
        {**good, "reference": ["a list"]},
        {**good, "iban": {"an": "object"}, "reference": "x-2"},
        {**good, "amount": "12.50", "reference": "x-3"},
        {**good, "amount": True, "reference": "x-4"},
        {**good, "name": "N" * 71, "reference": "x-5"},
        {**good, "reference": "R" * 36},
        None,
        {**good, "reference": "x-8"},
    ]

    response = _post(api, {"reference": "types", "items": rows})

    assert response.status_code == 201, response.content
    assert sorted({r["row"] for r in response.json()["rejected"]}) == [1, 2, 3, 4, 5, 6, 7]
    assert response.json()["accepted"] == 1


def test_a_batchs_payouts_are_listed_with_their_status_and_no_full_iban(api, other_api, settled):
    settled(1_000_000)
    rows = payout_rows(3)
    batch = _post(api, {"reference": "listed", "items": rows}).json()

    page = api.get(f"/api/v1/payout-batches/{batch['id']}/payouts?limit=2").json()
    rest = api.get(page["next"]).json()
    failed = api.get(f"/api/v1/payout-batches/{batch['id']}/payouts?status=failed").json()

    listed = page["data"] + rest["data"]
    assert sorted(p["reference"] for p in listed) == ["INV-00001", "INV-00002", "INV-00003"]
    assert {p["status"] for p in listed} == {"pending"}
    assert listed[0]["recipient"]["iban_last4"] == rows[2]["iban"][-4:]
    assert rows[2]["iban"] not in str(listed)
    assert failed["data"] == []
    assert other_api.get(f"/api/v1/payout-batches/{batch['id']}/payouts").status_code == 404


def test_money_settlement_pays_out_itself_is_not_available_to_a_bulk_payout(
    api, merchant, make_order, pay
):
    """On automatic payouts each settled batch has a payout scheduled to the merchant's own
    bank: paying suppliers from the same balance would send that money twice."""
    from datetime import UTC, date, datetime

    import time_machine

    from payouts.selectors import payout_balances_available
    from settlement.models import Payout
    from settlement.services import cutoff_for, settlement_run

    assert merchant.payout_schedule == "automatic"
    with time_machine.travel(datetime(2026, 11, 2, 10, 0, tzinfo=UTC), tick=False):
        pay(make_order(amount=500_000, currency="EUR"))
    cutoff = cutoff_for(date(2026, 11, 3))
    with time_machine.travel(cutoff, tick=False):
        settlement_run(cutoff=cutoff)
    (scheduled,) = Payout.objects.filter(merchant=merchant, currency="EUR")
    assert account_balance(owner=merchant.public_id, kind="merchant_payable", currency="EUR") == (
        -scheduled.amount
    )

    assert payout_balances_available(merchant=merchant) == {"EUR": 0}
    response = _post(api, {"reference": "twice", "items": payout_rows(1, amount=100)})
    assert response.status_code == 400, response.content
    assert response.json()["errors"][0]["code"] == "insufficient_balance"
    assert not PayoutBatch.objects.exists()
