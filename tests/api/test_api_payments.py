"""Payments through the API: cards, wallets, bank transfers, OTP, capture, cancel."""

import pytest

from payments.models import OtpChallenge
from tests.api.conftest import card_body
from tests.conftest import NO_FUNDS, OTP_ALWAYS_CARD, OTP_CARD, WALLET_OK

pytestmark = pytest.mark.django_db


def test_card_payment_is_captured_and_the_order_paid(
    api, create_order, pay_order, assert_invariants
):
    order = create_order()

    response = pay_order(order["id"], card_body())

    assert response.status_code == 201
    payment = response.json()
    assert payment["object"] == "payment"
    assert payment["status"] == "captured"
    assert payment["amount_captured"] == 1000
    assert payment["order"] == order["id"]
    assert payment["payment_method"]["card"] == {
        "brand": "visa",
        "last4": "4242",
        "exp_month": 12,
        "exp_year": 2035,
    }
    assert payment["authentication_method"] is None  # the institution asked for no code
    assert "4242424242424242" not in response.content.decode()
    paid = api.get(f"/api/v1/orders/{order['id']}").json()
    assert paid["status"] == "paid"
    assert [p["id"] for p in paid["payments"]] == [payment["id"]]
    assert api.get(f"/api/v1/payments/{payment['id']}").json() == payment
    assert_invariants()


def test_decline_is_a_201_with_a_decline_code(create_order, pay_order):
    response = pay_order(create_order()["id"], card_body(NO_FUNDS))

    assert response.status_code == 201
    assert response.json()["status"] == "declined"
    assert response.json()["decline_code"] == "insufficient_funds"


def test_wallet_payment_is_verified_by_otp_then_captured(api, create_order, pay_order):
    response = pay_order(create_order()["id"], {"type": "wallet", "wallet": {"phone": WALLET_OK}})
    payment = response.json()

    assert response.status_code == 201
    assert payment["status"] == "requires_action"
    assert payment["payment_method"] == {"type": "wallet", "wallet": {"phone_last4": "0100"}}
    code = _otp_code(api, payment["id"])
    verified = api.post(f"/api/v1/payments/{payment['id']}/otp", {"code": code}, format="json")
    assert verified.json()["status"] == "captured"


def test_invalid_card_errors_carry_their_path_in_the_body(create_order, pay_order):
    body = card_body("4242424242424241", exp_month=13, cvc="1")

    response = pay_order(create_order()["id"], body)

    assert response.status_code == 400
    fields = {e["field"] for e in response.json()["errors"]}
    assert "payment_method.card.exp_month" in fields
    response = pay_order(create_order()["id"], card_body("4242424242424241"))
    assert [e["field"] for e in response.json()["errors"]] == ["payment_method.card.number"]


@pytest.mark.parametrize(
    ("method", "field"),
    [
        ({"type": "card"}, "payment_method.card"),
        ({"type": "wallet"}, "payment_method.wallet"),
        ({"type": "cheque"}, "payment_method.type"),
        ({"type": "wallet", "wallet": {}}, "payment_method.wallet.phone"),
        ("card", "payment_method.non_field_errors"),
    ],
)
def test_incomplete_payment_method_is_400_with_the_field_path(
    create_order, pay_order, method, field
):
    response = pay_order(create_order()["id"], method)

    assert response.status_code == 400
    fields = [e["field"] for e in response.json()["errors"]]
    assert fields == [field.replace(".non_field_errors", "")]


def test_second_payment_while_one_is_in_progress_is_409(create_order, pay_order):
    order = create_order()
    first = pay_order(order["id"], card_body(OTP_CARD))
    assert first.json()["status"] == "requires_action"

    second = pay_order(order["id"], card_body())

    assert second.status_code == 409
    assert second.json()["code"] == "payment_in_progress"


def test_paying_a_canceled_order_is_409(api, create_order, pay_order):
    order = create_order()
    api.post(f"/api/v1/orders/{order['id']}/cancel")

    response = pay_order(order["id"], card_body())

    assert response.status_code == 409
    assert response.json()["code"] == "order_not_payable"


def _otp_code(api, payment_id):
    response = api.get(f"/api/v1/sandbox/otp-messages?payment={payment_id}")
    assert response.status_code == 200, response.content
    return response.json()["data"][0]["code"]


def test_the_sandbox_inbox_refuses_a_misspelt_parameter(api, create_order, pay_order):
    payment = pay_order(create_order()["id"], card_body(OTP_CARD)).json()

    response = api.get(f"/api/v1/sandbox/otp-messages?payment={payment['id']}&limt=1")

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "field": "limt",
            "code": "unknown_parameter",
            "message": "This operation takes no such query parameter.",
        }
    ]


def test_otp_flow_through_the_sandbox_inbox(api, create_order, pay_order, assert_invariants):
    payment = pay_order(create_order()["id"], card_body(OTP_CARD)).json()
    assert payment["status"] == "requires_action"
    action = payment["next_action"]
    assert action["type"] == "otp" and action["attempts_remaining"] == 3 and action["expires_at"]

    response = api.post(
        f"/api/v1/payments/{payment['id']}/otp",
        {"code": _otp_code(api, payment["id"])},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["status"] == "captured"
    assert response.json()["next_action"] is None
    assert response.json()["authentication_method"] == "otp"
    assert api.get(f"/api/v1/payments/{payment['id']}").json()["authentication_method"] == "otp"
    assert_invariants()


def test_wrong_otp_code_is_400_then_the_last_try_declines(api, create_order, pay_order):
    payment = pay_order(create_order()["id"], card_body(OTP_ALWAYS_CARD)).json()
    url = f"/api/v1/payments/{payment['id']}/otp"
    good = _otp_code(api, payment["id"])
    wrong = "000000" if good != "000000" else "111111"

    first = api.post(url, {"code": wrong}, format="json")
    second = api.post(url, {"code": wrong}, format="json")
    last = api.post(url, {"code": wrong}, format="json")

    assert first.status_code == 400
    assert first.json()["code"] == "otp_invalid"
    assert first.json()["attempts_remaining"] == 2
    assert second.json()["attempts_remaining"] == 1
    assert last.status_code == 200
    assert last.json()["status"] == "declined"
    assert last.json()["decline_code"] == "authentication_failed"
    assert api.post(url, {"code": good}, format="json").status_code == 409


def test_otp_resend_sends_a_new_code_and_the_old_one_stops_working(
    api, create_order, pay_order, settings
):
    settings.PAYMENTS_OTP_RESEND_COOLDOWN = 0
    payment = pay_order(create_order()["id"], card_body(OTP_CARD)).json()
    old = _otp_code(api, payment["id"])

    response = api.post(f"/api/v1/payments/{payment['id']}/otp/resend")

    assert response.status_code == 200
    assert response.json()["next_action"]["resends_remaining"] == 2
    listing = api.get(f"/api/v1/sandbox/otp-messages?payment={payment['id']}").json()
    assert listing["object"] == "list"
    messages = listing["data"]
    assert len(messages) == 2
    new = messages[0]["code"]
    if new != old:
        rejected = api.post(f"/api/v1/payments/{payment['id']}/otp", {"code": old}, format="json")
        assert rejected.status_code == 400
    accepted = api.post(f"/api/v1/payments/{payment['id']}/otp", {"code": new}, format="json")
    assert accepted.json()["status"] == "captured"


def test_otp_on_a_payment_not_waiting_for_one_is_409(api, create_order, pay_order):
    payment = pay_order(create_order()["id"], card_body()).json()

    response = api.post(f"/api/v1/payments/{payment['id']}/otp", {"code": "123456"}, format="json")

    assert response.status_code == 409
    assert api.post(f"/api/v1/payments/{payment['id']}/otp/resend").status_code == 409


def test_manual_capture_partial_amount(api, create_order, pay_order, assert_invariants):
    order = create_order(capture_method="manual")
    payment = pay_order(order["id"], card_body()).json()
    assert payment["status"] == "authorized"

    too_much = api.post(
        f"/api/v1/payments/{payment['id']}/capture", {"amount": 5000}, format="json"
    )
    response = api.post(f"/api/v1/payments/{payment['id']}/capture", {"amount": 600}, format="json")
    again = api.post(f"/api/v1/payments/{payment['id']}/capture", {}, format="json")

    assert too_much.status_code == 400
    assert too_much.json()["errors"][0]["field"] == "amount"
    assert response.status_code == 200
    assert response.json()["status"] == "captured"
    assert response.json()["amount_captured"] == 600
    assert again.status_code == 409
    assert api.get(f"/api/v1/orders/{order['id']}").json()["status"] == "paid"
    assert_invariants()


def test_capture_amount_must_be_an_integer(api, create_order, pay_order):
    payment = pay_order(create_order(capture_method="manual")["id"], card_body()).json()

    response = api.post(f"/api/v1/payments/{payment['id']}/capture", {"amount": 6.0}, format="json")

    assert response.status_code == 400
    assert api.get(f"/api/v1/payments/{payment['id']}").json()["status"] == "authorized"


def test_authorized_payment_is_canceled_once(api, create_order, pay_order, assert_invariants):
    payment = pay_order(create_order(capture_method="manual")["id"], card_body()).json()

    response = api.post(f"/api/v1/payments/{payment['id']}/cancel")
    again = api.post(f"/api/v1/payments/{payment['id']}/cancel")

    assert response.status_code == 200
    assert response.json()["status"] == "canceled"
    assert again.status_code == 409
    assert again.json()["code"] == "invalid_state"
    assert_invariants()


def test_a_cancel_says_when_and_a_refused_one_says_why(api, create_order, pay_order):
    payment = pay_order(create_order(capture_method="manual")["id"], card_body()).json()
    captured = pay_order(create_order()["id"], card_body()).json()

    canceled = api.post(f"/api/v1/payments/{payment['id']}/cancel").json()
    refused = api.post(f"/api/v1/payments/{captured['id']}/cancel").json()

    assert canceled["canceled_at"] is not None
    assert (
        api.get(f"/api/v1/payments/{payment['id']}").json()["canceled_at"]
        == (canceled["canceled_at"])
    )
    assert refused["detail"] == "A payment that is captured cannot be canceled."


def test_a_payment_canceled_while_waiting_for_its_code_takes_no_code(api, create_order, pay_order):
    payment = pay_order(create_order()["id"], card_body(OTP_CARD)).json()
    messages = api.get("/api/v1/sandbox/otp-messages", {"payment": payment["id"]}).json()
    code = messages["data"][0]["code"]

    assert api.post(f"/api/v1/payments/{payment['id']}/cancel").status_code == 200
    late = api.post(f"/api/v1/payments/{payment['id']}/otp", {"code": code}, format="json")

    assert late.status_code == 409
    assert api.get(f"/api/v1/payments/{payment['id']}").json()["status"] == "canceled"
    assert set(OtpChallenge.objects.values_list("status", flat=True)) == {"expired"}


def test_bank_transfer_completes_through_the_sandbox_endpoint(
    api, create_order, pay_order, assert_invariants
):
    order = create_order()
    payment = pay_order(order["id"], {"type": "bank_transfer"}).json()
    instructions = payment["next_action"]
    assert payment["status"] == "processing"
    assert instructions["type"] == "bank_transfer_instructions"

    wrong = api.post(
        "/api/v1/sandbox/bank-transfers",
        {"reference": instructions["reference"], "amount": 999},
        format="json",
    )
    response = api.post(
        "/api/v1/sandbox/bank-transfers",
        {"reference": instructions["reference"], "amount": instructions["amount"]},
        format="json",
    )

    assert wrong.status_code == 400
    assert response.status_code == 200
    assert response.json()["status"] == "captured"
    assert api.get(f"/api/v1/orders/{order['id']}").json()["status"] == "paid"
    assert_invariants()


def test_sandbox_endpoints_are_404_for_live_keys_and_other_merchants(
    api, live_api, other_api, create_order, pay_order
):
    payment = pay_order(create_order()["id"], {"type": "bank_transfer"}).json()
    reference = payment["next_action"]["reference"]
    body = {"reference": reference, "amount": payment["amount"]}

    assert live_api.get(f"/api/v1/sandbox/otp-messages?payment={payment['id']}").status_code == 404
    assert live_api.post("/api/v1/sandbox/bank-transfers", body, format="json").status_code == 404
    assert other_api.get(f"/api/v1/sandbox/otp-messages?payment={payment['id']}").status_code == 404
    assert other_api.post("/api/v1/sandbox/bank-transfers", body, format="json").status_code == 404
    assert api.get("/api/v1/sandbox/otp-messages").status_code == 400
    assert api.get(f"/api/v1/payments/{payment['id']}").json()["status"] == "processing"


def test_payments_are_listed_and_filtered_by_status_and_order(api, create_order, pay_order):
    first_order = create_order()
    declined = pay_order(first_order["id"], card_body(NO_FUNDS)).json()
    captured = pay_order(first_order["id"], card_body()).json()
    other = pay_order(create_order()["id"], card_body()).json()

    def ids(query=""):
        return [p["id"] for p in api.get(f"/api/v1/payments?{query}").json()["data"]]

    assert ids() == [other["id"], captured["id"], declined["id"]]
    assert ids("status=declined") == [declined["id"]]
    assert ids(f"order={first_order['id']}") == [captured["id"], declined["id"]]


def test_another_merchants_payment_cannot_be_seen_or_changed(
    api, other_api, create_order, pay_order
):
    order = create_order(capture_method="manual")
    payment = pay_order(order["id"], card_body()).json()
    pid = payment["id"]

    assert other_api.get(f"/api/v1/payments/{pid}").status_code == 404
    assert other_api.post(f"/api/v1/payments/{pid}/capture", {}, format="json").status_code == 404
    assert other_api.post(f"/api/v1/payments/{pid}/cancel").status_code == 404
    assert (
        other_api.post(f"/api/v1/payments/{pid}/otp", {"code": "1"}, format="json").status_code
        == 404
    )
    assert other_api.post(f"/api/v1/payments/{pid}/refunds", {}, format="json").status_code == 404
    assert pay_order(order["id"], card_body(), client=other_api).status_code == 404
    assert other_api.get("/api/v1/payments").json()["data"] == []
    assert api.get(f"/api/v1/payments/{pid}").json()["status"] == "authorized"


def test_live_key_cannot_touch_a_test_payment(api, live_api, create_order, pay_order):
    payment = pay_order(create_order(capture_method="manual")["id"], card_body()).json()

    assert live_api.get(f"/api/v1/payments/{payment['id']}").status_code == 404
    response = live_api.post(f"/api/v1/payments/{payment['id']}/capture", {}, format="json")
    assert response.status_code == 404
    assert live_api.get("/api/v1/payments").json()["data"] == []


def test_no_card_data_is_stored_or_logged_anywhere_after_api_payments(
    api, create_order, pay_order, caplog, django_capture_on_commit_callbacks
):
    """Card payments through the API with every side table in play (idempotency records, events,
    webhook deliveries, the OTP challenge and outbox, the sandbox institution's books, the audit
    log, sessions): no table and no log line at DEBUG holds a card number or a CVC."""
    import logging
    import re

    from tests.conftest import stored_text

    caplog.set_level(logging.DEBUG)
    with django_capture_on_commit_callbacks(execute=True):
        api.post(
            "/api/v1/webhook-endpoints",
            {"url": "http://127.0.0.1:9/hook", "enabled_events": ["*"]},
            format="json",
        )
    challenged = pay_order(
        create_order()["id"], card_body(OTP_CARD, cvc="739"), HTTP_IDEMPOTENCY_KEY="pay-otp"
    ).json()
    with django_capture_on_commit_callbacks(execute=True):
        verified = api.post(
            f"/api/v1/payments/{challenged['id']}/otp",
            {"code": _otp_code(api, challenged["id"])},
            format="json",
            HTTP_IDEMPOTENCY_KEY="otp-1",
        )
    declined = pay_order(
        create_order()["id"], card_body(NO_FUNDS, cvc="582"), HTTP_IDEMPOTENCY_KEY="pay-declined"
    )
    refused = pay_order(
        create_order()["id"],
        card_body("4242424242424241", cvc="613"),
        HTTP_IDEMPOTENCY_KEY="pay-refused",
    )

    assert verified.json()["status"] == "captured"
    assert declined.json()["status"] == "declined" and refused.status_code == 400
    # Messages and tracebacks, without the capture's own "file.py:613" line numbers.
    logged = "\n".join(r.getMessage() + "\n" + (r.exc_text or "") for r in caplog.records)
    for text in (stored_text(), logged):
        for pan in (OTP_CARD, NO_FUNDS, "4242424242424241"):
            assert pan not in text
        # A CVC as a value of its own (random ids may contain the digits by chance).
        for cvc in ("739", "582", "613"):
            assert not re.search(rf"(?<![0-9A-Za-z]){cvc}(?![0-9A-Za-z])", text), cvc
