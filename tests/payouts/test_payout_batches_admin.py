"""Bulk payouts in the back office: CSV upload, the two-person rule with a fresh code, the SEPA
file, the bank's results releasing money, and scoping to the merchant."""

from datetime import UTC, datetime
from decimal import Decimal
from xml.etree import ElementTree

import pytest
from django.test import Client

from backoffice.models import AuditLog
from ledger.selectors import account_balance, ledger_violations
from payments.models import Event
from payouts.models import PayoutBatch, PayoutItem
from tests.payouts.conftest import csv_file, payout_rows, totp_now

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/payouts/payoutbatch/"
UPLOAD = "/admin/payouts/payoutbatch/upload/"
NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"}


@pytest.fixture
def preparer(make_staff, merchant):
    return make_staff(merchant, "manager")


@pytest.fixture
def approver(make_staff, merchant):
    return make_staff(merchant, "manager")


def _client_of(login, user):
    return login(user, Client())


def _upload(client, merchant, rows, reference="suppliers-nov"):
    return client.post(
        UPLOAD,
        {"merchant": merchant.pk, "reference": reference, "file": csv_file(rows)},
    )


def _action(client, batch, action, code=None):
    data = {"action": action, "_selected_action": [batch.pk]}
    if code is not None:
        data["otp_token"] = code
    return client.post(CHANGELIST, data)


def _hold(merchant, currency="EUR"):
    return account_balance(owner=merchant.public_id, kind="merchant_payout_hold", currency=currency)


def _payable(merchant, currency="EUR"):
    return account_balance(owner=merchant.public_id, kind="merchant_payable", currency=currency)


def test_a_thousand_row_csv_refuses_the_three_bad_ibans_and_the_duplicate_and_again_nothing(
    login, preparer, merchant, settled
):
    from tests.payouts.test_payout_batches_api import thousand_rows_with_four_bad

    settled(300_000_000)
    client = _client_of(login, preparer)
    rows = thousand_rows_with_four_bad()

    response = _upload(client, merchant, rows)

    assert response.status_code == 302, response.content.decode()[:2000]
    batch = PayoutBatch.objects.get()
    assert sorted(r["row"] for r in batch.rejected) == [10, 500, 700, 999]
    assert batch.items.count() == 996
    assert batch.source == "csv" and batch.prepared_by == preparer
    page = client.get(response["Location"]).content.decode()
    assert "996 rows accepted, 4 refused" in page
    assert "duplicate_reference" in page and "invalid_iban" in page

    again = _upload(client, merchant, rows)

    assert again.status_code == 302
    assert PayoutBatch.objects.count() == 1 and PayoutItem.objects.count() == 996
    assert "exists already: nothing was created" in client.get(again["Location"]).content.decode()


def test_the_preparer_cannot_approve_even_with_a_good_code(login, preparer, merchant, settled):
    settled(1_000_000)
    client = _client_of(login, preparer)
    _upload(client, merchant, payout_rows(3))
    batch = PayoutBatch.objects.get()

    response = _action(client, batch, "approve", totp_now(preparer))

    batch.refresh_from_db()
    assert batch.status == "pending_approval"
    assert _hold(merchant) == 0
    assert "another person must approve" in client.get(CHANGELIST).content.decode()
    assert response.status_code == 302


def test_a_wrong_code_approves_nothing_and_is_audited(login, preparer, approver, merchant, settled):
    settled(1_000_000)
    _upload(_client_of(login, preparer), merchant, payout_rows(3))
    batch = PayoutBatch.objects.get()
    client = _client_of(login, approver)
    wrong = f"{(int(totp_now(approver)) + 1) % 1_000_000:06d}"

    without = _action(client, batch, "approve")
    refused = _action(client, batch, "approve", wrong)

    batch.refresh_from_db()
    assert batch.status == "pending_approval"
    assert _hold(merchant) == 0
    assert 'name="otp_token"' in without.content.decode()
    assert "That authenticator code is not valid" in refused.content.decode()
    audit = AuditLog.objects.get(action="step_up.refused")
    assert audit.actor == approver and audit.details["action"] == "payouts.batch_approve"


def test_a_second_person_with_a_fresh_code_approves_and_the_total_is_held(
    login, preparer, approver, merchant, settled, assert_invariants
):
    available = settled(1_000_000)
    _upload(_client_of(login, preparer), merchant, payout_rows(3, amount=2500))
    batch = PayoutBatch.objects.get()

    _action(_client_of(login, approver), batch, "approve", totp_now(approver))

    batch.refresh_from_db()
    assert batch.status == "approved" and batch.approved_by == approver
    assert _hold(merchant) == -7500
    assert -_payable(merchant) == available - 7500
    assert Event.objects.filter(type="payout_batch.approved", object_id=batch.public_id).exists()
    assert ledger_violations() == []
    assert_invariants()


def test_approval_is_refused_when_the_balance_no_longer_covers_the_batch(
    login, preparer, approver, merchant, settled, api, time_machine
):
    time_machine.move_to(datetime.now(UTC), tick=True)
    available = settled(1_000_000)
    first = payout_rows(1, amount=available - 100)
    api.post("/api/v1/payout-batches", {"reference": "a", "items": first}, format="json")
    _upload(_client_of(login, preparer), merchant, [{**payout_rows(2)[1], "amount": 500}], "b")
    a, b = PayoutBatch.objects.get(reference="a"), PayoutBatch.objects.get(reference="b")
    client = _client_of(login, approver)
    _action(client, a, "approve", totp_now(approver))
    time_machine.shift(31)

    _action(client, b, "approve", totp_now(approver))

    b.refresh_from_db()
    assert b.status == "pending_approval"
    assert _hold(merchant) == -(available - 100)
    assert "The available balance is short by EUR 400" in client.get(CHANGELIST).content.decode()


def _approved_and_sent(login, preparer, approver, merchant, rows, time_machine):
    time_machine.move_to(datetime.now(UTC), tick=True)  # to wait for the next code below
    _upload(_client_of(login, preparer), merchant, rows)
    batch = PayoutBatch.objects.get()
    client = _client_of(login, approver)
    _action(client, batch, "approve", totp_now(approver))
    return batch, client


def test_sending_to_the_bank_asks_a_code_and_answers_the_pain001_file(
    login, preparer, approver, merchant, settled, time_machine
):
    settled(1_000_000)
    batch, client = _approved_and_sent(
        login, preparer, approver, merchant, payout_rows(4), time_machine
    )
    time_machine.shift(31)  # the next code: each is accepted once

    response = _action(client, batch, "send_to_bank", totp_now(approver))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/xml"
    xml = ElementTree.fromstring(response.content)
    assert xml.find(".//p:GrpHdr/p:NbOfTxs", NS).text == "4"
    assert Decimal(xml.find(".//p:GrpHdr/p:CtrlSum", NS).text) == Decimal("40.00")
    batch.refresh_from_db()
    assert batch.status == "processing"
    assert set(batch.items.values_list("status", flat=True)) == {"processing"}
    assert AuditLog.objects.filter(action="payouts.sepa_exported").exists()


def test_the_banks_results_pay_fail_and_return_items_and_release_their_money(
    login, preparer, approver, merchant, settled, time_machine, assert_invariants
):
    available = settled(1_000_000)
    rows = payout_rows(4, amount=1000)
    batch, client = _approved_and_sent(login, preparer, approver, merchant, rows, time_machine)
    time_machine.shift(31)
    _action(client, batch, "send_to_bank", totp_now(approver))
    url = f"/admin/payouts/payoutbatch/{batch.pk}/results/"
    results = [
        {"reference": "INV-00001", "status": "ACSC", "reason_code": "", "reason": ""},
        {"reference": "INV-00002", "status": "RJCT", "reason_code": "AC04", "reason": "Closed"},
        {"reference": "INV-00003", "status": "paid", "reason_code": "", "reason": ""},
        {"reference": "INV-00004", "status": "paid", "reason_code": "", "reason": ""},
        {"reference": "NOPE", "status": "paid", "reason_code": "", "reason": ""},
    ]

    page = client.post(url, {"file": csv_file(results)}).content.decode()
    again = client.post(url, {"file": csv_file(results[:4])}).content.decode()
    returned = [{"reference": "INV-00003", "status": "returned", "reason_code": "AC01"}]
    client.post(url, {"file": csv_file(returned)})
    late = client.post(url, {"file": csv_file(results[2:3])}).content.decode()

    assert "4 payouts updated, 0 unchanged, 1 rows refused" in page
    assert "resource_missing" in page
    assert "0 payouts updated, 4 unchanged, 0 rows refused" in again
    assert "invalid_transition" in late  # a returned payout is not paid again
    statuses = dict(batch.items.values_list("reference", "status"))
    assert statuses == {
        "INV-00001": "paid",
        "INV-00002": "failed",
        "INV-00003": "returned",
        "INV-00004": "paid",
    }
    assert batch.items.get(reference="INV-00002").failure_code == "AC04"
    batch.refresh_from_db()
    assert batch.status == "completed"
    assert _hold(merchant) == 0
    # Two paid out; the failed one and the returned one are back in the balance.
    assert -_payable(merchant) == available - 2000
    types = set(Event.objects.filter(object_id__startswith="poi_").values_list("type", flat=True))
    assert types == {"payout.paid", "payout.failed", "payout.returned"}
    assert Event.objects.filter(type="payout_batch.completed").count() == 1
    assert_invariants()


def test_staff_of_another_merchant_see_no_batch(
    login, make_staff, other_merchant, preparer, merchant, settled
):
    settled(1_000_000)
    _upload(_client_of(login, preparer), merchant, payout_rows(2))
    batch = PayoutBatch.objects.get()
    outsider = _client_of(login, make_staff(other_merchant, "manager"))

    assert batch.public_id not in outsider.get(CHANGELIST).content.decode()
    assert outsider.get(f"{CHANGELIST}{batch.pk}/change/").status_code == 302
    assert outsider.get(f"/admin/payouts/payoutbatch/{batch.pk}/results/").status_code == 404
    refused = _upload(outsider, merchant, payout_rows(2), reference="theirs")
    assert refused.status_code == 200  # the merchant is not a choice for them
    assert PayoutBatch.objects.count() == 1


def test_a_batch_canceled_before_approval_fails_its_payouts_and_holds_nothing(
    login, preparer, approver, merchant, settled, time_machine
):
    time_machine.move_to(datetime.now(UTC), tick=True)
    settled(1_000_000)
    client = _client_of(login, preparer)
    _upload(client, merchant, payout_rows(2))
    _upload(client, merchant, payout_rows(4)[2:], reference="second")
    first, second = PayoutBatch.objects.order_by("pk")
    _action(_client_of(login, approver), second, "approve", totp_now(approver))

    _action(client, first, "cancel")
    _action(client, second, "cancel")

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == "canceled" and second.status == "approved"
    assert set(first.items.values_list("status", "failure_code")) == {("failed", "batch_canceled")}
    assert "cannot be canceled" in client.get(CHANGELIST).content.decode()
    assert _hold(merchant) == -2000
