"""Disputes: the sandbox issuer disputes 0259 (fraudulent) and 2685 (product not received) after
capture; evidence wins or loses; the ledger and the invariants agree at every step."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

pytestmark = pytest.mark.django_db

FRAUD_CARD = "4000000000000259"
NOT_RECEIVED_CARD = "4000000000002685"


def merchant_balance(merchant) -> int:
    """What the ledger says is owed to the merchant (pending), in minor units."""
    from ledger.selectors import account_balance

    return -account_balance(owner=merchant.public_id, kind="merchant_pending", currency="USD")


@pytest.fixture
def disputed(pay_from):
    """Pay with ``number``, let the sandbox issuer's notice fall due, run the sweep."""
    from risk.services.disputes import disputes_open_due

    def run(number, amount=5000):
        payment = pay_from(amount=amount, number=number)
        assert payment["status"] == "captured"
        opened = disputes_open_due(now=timezone.now() + timedelta(minutes=3))
        return payment, opened

    return run


def test_a_0259_payment_is_disputed_as_fraud_shortly_after_capture(
    api, merchant, pay_from, assert_invariants
):
    from risk.services.disputes import disputes_open_due

    payment = pay_from(amount=5000, number=FRAUD_CARD)
    before = merchant_balance(merchant)

    assert disputes_open_due() == 0  # not yet: the issuer takes a moment
    assert api.get("/api/v1/disputes", {"payment": payment["id"]}).json()["data"] == []
    with time_machine.travel(timezone.now() + timedelta(minutes=3)):
        assert disputes_open_due() == 1
    assert disputes_open_due(now=timezone.now() + timedelta(minutes=9)) == 0  # once only

    (dispute,) = api.get("/api/v1/disputes", {"payment": payment["id"]}).json()["data"]
    assert dispute["reason"] == "fraudulent" and dispute["status"] == "needs_response"
    assert dispute["amount"] == 5000 and dispute["fee"] == 1500
    assert dispute["evidence_due_by"] is not None
    assert merchant_balance(merchant) == before - 5000 - 1500
    assert_invariants()


def test_winning_evidence_wins_and_gives_the_money_back(api, merchant, disputed, assert_invariants):
    payment, _ = disputed(FRAUD_CARD)
    (dispute,) = api.get("/api/v1/disputes", {"payment": payment["id"]}).json()["data"]
    opened_balance = merchant_balance(merchant)

    added = api.post(
        f"/api/v1/disputes/{dispute['id']}/evidence",
        {"uncategorized_text": "Signed delivery receipt. winning_evidence"},
        format="json",
    )
    assert added.status_code == 200 and added.json()["status"] == "needs_response"
    assert_invariants()
    won = api.post(f"/api/v1/disputes/{dispute['id']}/submit", format="json").json()

    assert won["status"] == "won" and won["funds_reinstated"]
    assert merchant_balance(merchant) == opened_balance + 5000 + 1500
    types = [e["type"] for e in api.get("/api/v1/events").json()["data"]]
    assert {"dispute.created", "dispute.updated", "dispute.closed"} <= set(types)
    assert_invariants()


def test_losing_evidence_loses_and_the_money_stays_with_the_issuer(
    api, merchant, disputed, assert_invariants
):
    payment, _ = disputed(NOT_RECEIVED_CARD)
    (dispute,) = api.get("/api/v1/disputes", {"payment": payment["id"]}).json()["data"]
    balance = merchant_balance(merchant)

    api.post(
        f"/api/v1/disputes/{dispute['id']}/evidence",
        {"customer_communication": "losing_evidence"},
        format="json",
    )
    lost = api.post(f"/api/v1/disputes/{dispute['id']}/submit", format="json").json()

    assert dispute["reason"] == "product_not_received"
    assert lost["status"] == "lost" and not lost["funds_reinstated"]
    assert merchant_balance(merchant) == balance
    assert_invariants()


def test_accepting_loses_and_nothing_can_follow(api, disputed, assert_invariants):
    payment, _ = disputed(FRAUD_CARD)
    (dispute,) = api.get("/api/v1/disputes", {"payment": payment["id"]}).json()["data"]

    accepted = api.post(f"/api/v1/disputes/{dispute['id']}/accept", format="json")
    again = api.post(f"/api/v1/disputes/{dispute['id']}/submit", format="json")
    evidence = api.post(
        f"/api/v1/disputes/{dispute['id']}/evidence", {"refund_policy": "x"}, format="json"
    )

    assert accepted.json()["status"] == "lost"
    assert again.status_code in (400, 409) and evidence.status_code == 409
    assert_invariants()


def test_submitting_without_evidence_is_refused(api, disputed):
    payment, _ = disputed(FRAUD_CARD)
    (dispute,) = api.get("/api/v1/disputes", {"payment": payment["id"]}).json()["data"]

    response = api.post(f"/api/v1/disputes/{dispute['id']}/submit", format="json")

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "evidence"


def test_other_cards_are_not_disputed_and_disputes_are_the_merchants_own(api, other_api, disputed):
    _, opened = disputed("4242424242424242")
    assert opened == 0
    payment, _ = disputed(FRAUD_CARD)
    (dispute,) = api.get("/api/v1/disputes").json()["data"]

    assert other_api.get(f"/api/v1/disputes/{dispute['id']}").status_code == 404
    assert other_api.get("/api/v1/disputes").json()["data"] == []


def _settle(day_offset: int):
    from settlement.services import cutoff_for, settlement_run

    cutoff = cutoff_for(timezone.now().date() + timedelta(days=day_offset))
    with time_machine.travel(cutoff, tick=False):
        return settlement_run(cutoff=cutoff)


def _books_agree(assert_invariants):
    from settlement.reconciliation import reconciliation_differences

    assert reconciliation_differences() == []
    assert_invariants()


def test_settlement_deducts_the_dispute_and_gives_it_back_when_won(
    api, merchant, pay_from, disputed, assert_invariants
):
    from ledger.selectors import account_balance

    clean = pay_from(amount=5000)  # the same amount, not disputed: the batch without the dispute
    payment, _ = disputed(FRAUD_CARD)
    (dispute,) = api.get("/api/v1/disputes", {"payment": payment["id"]}).json()["data"]
    _books_agree(assert_invariants)

    (batch,) = _settle(1)
    assert batch.payment_count == 2 and batch.adjustment_count == 1
    assert batch.adjustments_amount == 5000 + 1500
    line_net = batch.gross_amount - batch.refunds_amount - batch.fees_amount
    assert batch.net_amount == line_net - 6500 and batch.payout_amount == max(line_net - 6500, 0)
    shown = api.get(f"/api/v1/settlements/{batch.public_id}").json()
    assert shown["adjustments_amount"] == 6500 and shown["net_amount"] == batch.net_amount
    # Everything pending was settled: the dispute left nothing behind in pending.
    assert account_balance(owner=merchant.public_id, kind="merchant_pending", currency="USD") == 0
    _books_agree(assert_invariants)
    assert _settle(2) == []  # the deduction is settled once
    assert clean["status"] == "captured"

    api.post(
        f"/api/v1/disputes/{dispute['id']}/evidence",
        {"uncategorized_text": "winning_evidence"},
        format="json",
    )
    won = api.post(f"/api/v1/disputes/{dispute['id']}/submit", format="json").json()
    assert won["status"] == "won"
    _books_agree(assert_invariants)

    (given_back,) = _settle(3)
    assert given_back.payment_count == 0 and given_back.adjustment_count == 1
    assert given_back.adjustments_amount == -6500
    assert given_back.carry_in == batch.carry_out
    assert given_back.payout_amount == 6500 + batch.carry_out
    assert account_balance(owner=merchant.public_id, kind="merchant_pending", currency="USD") == 0
    _books_agree(assert_invariants)
    assert _settle(4) == []


def test_a_disputes_deduction_weighs_on_how_many_groups_a_settlement_transaction_takes(
    pay_from, disputed, monkeypatch
):
    import settlement.services

    pay_from(amount=5000, currency="EUR")  # the EUR group: one payment
    disputed(FRAUD_CARD)  # the USD group: one payment and its dispute's deduction
    monkeypatch.setattr(settlement.services, "CHUNK_LINES", 2)
    post, chunks = settlement.services.journal_post_many, []

    def one_call_per_transaction(entries):
        chunks.append(len(entries))
        return post(entries)

    monkeypatch.setattr(settlement.services, "journal_post_many", one_call_per_transaction)
    batches = _settle(1)

    assert sorted((b.currency, b.payment_count, b.adjustment_count) for b in batches) == [
        ("EUR", 1, 0),
        ("USD", 1, 1),
    ]
    assert chunks == [1, 1]  # 1 + 2 lines are more than 2: a transaction each


def test_a_dispute_lost_stays_deducted_and_the_report_lists_it(
    api, merchant, disputed, assert_invariants, manager, login
):
    payment, _ = disputed(NOT_RECEIVED_CARD, amount=20000)
    (dispute,) = api.get("/api/v1/disputes", {"payment": payment["id"]}).json()["data"]
    api.post(f"/api/v1/disputes/{dispute['id']}/accept", format="json")

    (batch,) = _settle(1)

    assert batch.adjustments_amount == 20000 + 1500
    assert batch.payout_amount == 0 and batch.carry_out == batch.net_amount < 0
    _books_agree(assert_invariants)
    assert _settle(2) == []
    report = login(manager).get(f"/admin/settlement/settlementbatch/{batch.pk}/report.csv")
    text = b"".join(report.streaming_content).decode()
    assert f"adjustment,dispute:{dispute['id']}:open" in text
    assert "total,adjustments,,,,USD,,,-215.00" in text


def test_the_dashboard_shows_the_dispute_rate_and_open_reviews(disputed, manager, login):
    disputed(FRAUD_CARD)
    disputed("4242424242424242")

    page = login(manager).get("/admin/").content.decode()

    assert 'id="dispute-rate">50%' in page
    assert 'id="open-reviews">0' in page


def _refund(api, payment_id, **body):
    return api.post(f"/api/v1/payments/{payment_id}/refunds", body, format="json")


@pytest.mark.parametrize("outcome", ["open", "lost"])
def test_a_disputed_payment_is_not_refunded_through_the_api(
    api, disputed, outcome, assert_invariants
):
    payment, _ = disputed(FRAUD_CARD)
    (dispute,) = api.get("/api/v1/disputes", {"payment": payment["id"]}).json()["data"]
    if outcome == "lost":
        api.post(f"/api/v1/disputes/{dispute['id']}/accept", format="json")

    response = _refund(api, payment["id"], amount=1000)

    assert response.status_code == 409, response.content
    body = response.json()
    assert body["code"] == "payment_disputed" and dispute["id"] in body["detail"]
    assert body["errors"] == [
        {"field": "payment", "code": "payment_disputed", "message": body["detail"]}
    ]
    assert api.get("/api/v1/refunds", {"payment": payment["id"]}).json()["data"] == []
    assert_invariants()


def test_a_payment_whose_dispute_was_won_may_be_refunded_again(
    api, disputed, django_capture_on_commit_callbacks, assert_invariants
):
    payment, _ = disputed(FRAUD_CARD)
    (dispute,) = api.get("/api/v1/disputes", {"payment": payment["id"]}).json()["data"]
    api.post(
        f"/api/v1/disputes/{dispute['id']}/evidence",
        {"refund_policy": "winning_evidence"},
        format="json",
    )
    api.post(f"/api/v1/disputes/{dispute['id']}/submit", format="json")

    with django_capture_on_commit_callbacks(execute=True):
        response = _refund(api, payment["id"], amount=1000)

    assert response.status_code == 201, response.content
    assert_invariants()


def test_the_back_office_refuses_to_refund_a_disputed_payment(disputed, manager, login):
    from django.urls import reverse

    from payments.models import Payment, Refund
    from tests.admin.conftest import totp_now

    payment, _ = disputed(FRAUD_CARD)
    row = Payment.objects.get(public_id=payment["id"])

    response = login(manager).post(
        reverse("admin:payments_payment_refund", args=[row.pk]),
        {"amount": "10.00", "reason": "Asked", "otp_token": totp_now(manager)},
        follow=True,
    )

    assert response.status_code == 200
    assert "This payment is disputed" in response.content.decode()
    assert not Refund.objects.filter(payment=row).exists()


INQUIRY_CARD = "4000000000001976"


def test_a_1976_payment_gets_an_inquiry_that_takes_no_money_and_winning_evidence_closes_it(
    api, merchant, disputed, assert_invariants
):
    before_payment = merchant_balance(merchant)
    payment, opened = disputed(INQUIRY_CARD)
    assert opened == 1
    (inquiry,) = api.get("/api/v1/disputes", {"payment": payment["id"]}).json()["data"]
    assert inquiry["status"] == "warning_needs_response" and inquiry["fee"] == 0
    assert merchant_balance(merchant) == before_payment + 5000 - 0  # captured, nothing taken
    _books_agree(assert_invariants)
    assert api.post(f"/api/v1/disputes/{inquiry['id']}/accept", format="json").status_code == 409
    # An inquiry does not stop a refund: refunding is often how one ends.
    assert _refund(api, payment["id"], amount=100).status_code == 201

    api.post(
        f"/api/v1/disputes/{inquiry['id']}/evidence",
        {"customer_communication": "neutral"},
        format="json",
    )
    reviewing = api.post(f"/api/v1/disputes/{inquiry['id']}/submit", format="json").json()
    assert reviewing["status"] == "warning_under_review"

    (batch,) = _settle(1)
    assert batch.adjustment_count == 0  # an inquiry never reaches the settlement
    _books_agree(assert_invariants)


def test_winning_evidence_closes_an_inquiry(api, disputed, assert_invariants):
    payment, _ = disputed(INQUIRY_CARD)
    (inquiry,) = api.get("/api/v1/disputes", {"payment": payment["id"]}).json()["data"]
    api.post(
        f"/api/v1/disputes/{inquiry['id']}/evidence",
        {"uncategorized_text": "Delivered, signed. winning_evidence"},
        format="json",
    )

    closed = api.post(f"/api/v1/disputes/{inquiry['id']}/submit", format="json").json()

    assert closed["status"] == "warning_closed" and closed["closed_at"]
    assert not closed["funds_reinstated"]
    events = [e["type"] for e in api.get("/api/v1/events").json()["data"]]
    assert "dispute.closed" in events
    _books_agree(assert_invariants)
