"""Pay in one call: ``POST /api/v1/payments`` creates the order and pays it, one Idempotency-Key."""

import pytest

from ledger.models import Posting
from payments.models import Event, Order, Payment

pytestmark = pytest.mark.django_db

CARD = {
    "number": "4242424242424242",
    "exp_month": 12,
    "exp_year": 2035,
    "cvc": "123",
    "holder_name": "Ada Lovelace",
}
OTP_CARD = "4000000000003220"
BLOCKED_CARD = "4000000000000002"


@pytest.fixture
def pay(api, django_capture_on_commit_callbacks):
    def pay(card=None, client=None, key=None, method=None, **order):
        body = {"amount": 1999, "currency": "USD", "reference": "one-call-1", **order}
        body["payment_method"] = method or {"type": "card", "card": {**CARD, **(card or {})}}
        headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
        with django_capture_on_commit_callbacks(execute=True):
            return (client or api).post("/api/v1/payments", body, format="json", **headers)

    return pay


def test_one_call_creates_the_order_and_captures_its_payment(pay, api, assert_invariants):
    response = pay(metadata={"cart": "42"})

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["object"] == "order_payment"
    payment, order = body["payment"], body["order"]
    assert payment["status"] == "captured" and payment["amount_captured"] == 1999
    assert payment["order"] == order["id"]
    assert order["status"] == "paid" and order["metadata"] == {"cart": "42"}
    assert [p["id"] for p in order["payments"]] == [payment["id"]]
    # What the answer says is what is stored, and what the two-call reads show.
    assert api.get(f"/api/v1/orders/{order['id']}").json()["status"] == "paid"
    assert api.get(f"/api/v1/payments/{payment['id']}").json()["status"] == "captured"
    types = set(Event.objects.values_list("type", flat=True))
    assert {"order.created", "payment.created", "payment.captured", "order.paid"} <= types
    assert Posting.objects.filter(entry__reference=payment["id"]).exists()
    assert_invariants()


def test_manual_capture_leaves_the_payment_authorized(pay, api):
    response = pay(capture_method="manual")

    payment = response.json()["payment"]
    assert payment["status"] == "authorized" and payment["amount_captured"] == 0
    assert response.json()["order"]["status"] == "pending"
    captured = api.post(f"/api/v1/payments/{payment['id']}/capture", {}, format="json")
    assert captured.json()["status"] == "captured"


def test_errors_of_the_order_and_of_the_card_are_answered_together_and_nothing_is_written(pay):
    response = pay(customer="cus_nobody", card={"number": "4242424242424241", "cvc": "1"})

    assert response.status_code == 400
    fields = {e["field"] for e in response.json()["errors"]}
    assert {"customer", "payment_method.card.number", "payment_method.card.cvc"} <= fields
    assert not Order.objects.exists() and not Payment.objects.exists()


def test_an_amount_error_is_named_once(pay):
    response = pay(amount=0)

    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["amount"]
    assert not Order.objects.exists()


def test_a_taken_reference_is_400_and_writes_no_payment(pay):
    assert pay().status_code == 201

    response = pay()

    assert response.status_code == 400
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [
        ("reference", "duplicate")
    ]
    assert Order.objects.count() == 1 and Payment.objects.count() == 1


def test_a_decline_is_a_201_whose_order_stays_payable(pay):
    response = pay(card={"number": BLOCKED_CARD})

    assert response.status_code == 201
    assert response.json()["payment"]["status"] == "declined"
    assert response.json()["payment"]["decline_code"] == "card_declined"
    assert response.json()["order"]["status"] == "pending"


def test_a_card_that_asks_for_a_code_waits_for_it_then_pays(pay, api):
    response = pay(card={"number": OTP_CARD})
    payment = response.json()["payment"]
    assert payment["status"] == "requires_action"
    assert payment["next_action"]["type"] == "otp"
    messages = api.get("/api/v1/sandbox/otp-messages", {"payment": payment["id"]}).json()
    code = messages["data"][0]["code"]

    verified = api.post(f"/api/v1/payments/{payment['id']}/otp", {"code": code}, format="json")

    assert verified.json()["status"] == "captured"


def test_a_bank_transfer_in_one_call_answers_its_instructions(pay):
    response = pay(method={"type": "bank_transfer"})

    payment = response.json()["payment"]
    assert payment["status"] == "processing"
    assert payment["next_action"]["type"] == "bank_transfer_instructions"


def test_the_same_idempotency_key_replays_and_another_body_is_refused(pay):
    first = pay(key="one-call-key")
    again = pay(key="one-call-key")
    other = pay(key="one-call-key", amount=2000)

    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert other.status_code == 422
    assert Order.objects.count() == 1 and Payment.objects.count() == 1


def test_a_saved_card_is_charged_in_one_call(pay, api, django_capture_on_commit_callbacks):
    customer = api.post("/api/v1/customers", {"email": "a@example.com"}, format="json").json()
    consent = {"text": "Save this card.", "ip": "203.0.113.7", "usage": "off_session"}
    with django_capture_on_commit_callbacks(execute=True):
        saved = api.post(
            f"/api/v1/customers/{customer['id']}/payment-methods",
            {"type": "card", "card": CARD, "consent": consent},
            format="json",
        ).json()

    response = pay(method={"type": "saved", "id": saved["id"]}, customer=customer["id"])

    assert response.status_code == 201, response.json()
    assert response.json()["payment"]["status"] == "captured"
    assert response.json()["order"]["customer"] == customer["id"]


def test_an_unknown_saved_method_writes_no_order(pay):
    response = pay(method={"type": "saved", "id": "pm_doesnotexist"})

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "payment_method.id"
    assert not Order.objects.exists()


def test_another_merchants_key_cannot_read_the_order_paid_in_one_call(pay, other_api):
    order_id = pay().json()["order"]["id"]

    assert other_api.get(f"/api/v1/orders/{order_id}").status_code == 404
