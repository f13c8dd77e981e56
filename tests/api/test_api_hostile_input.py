"""Hostile and malformed input through HTTP, endpoint by endpoint: a clear 4xx, never a 500.

Every refusal is an ``application/problem+json`` document naming its ``code`` (and the field,
where one is at fault), and a refused request writes nothing.
"""

import base64
from urllib.parse import quote, urlencode

import pytest

from tests.api.conftest import card_body
from tests.conftest import event_deliveries

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


def _public_pem() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    key = ed25519.Ed25519PrivateKey.generate().public_key()
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


PROBE_PUBLIC_KEY = _public_pem()
WORLD_PUBLIC_KEY = _public_pem()

LIST_URLS = [
    "/api/v1/orders",
    "/api/v1/payments",
    "/api/v1/refunds",
    "/api/v1/events",
    "/api/v1/settlements",
    "/api/v1/webhook-endpoints",
    "/api/v1/customers",
    "/api/v1/prices",
    "/api/v1/invoices",
    "/api/v1/subscriptions",
    "/api/v1/test-clocks",
    "/api/v1/request-logs",
    "/api/v1/signing-keys",
]


def assert_problem(response, status, code, *, field=None):
    """Assert a problem document of ``status`` and ``code`` (and an error naming ``field``)."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith(PROBLEM), response["Content-Type"]
    body = response.json()
    assert body["status"] == status
    assert body["code"] == code, body
    assert body["detail"] and body["title"] and body["type"]
    if field is not None:
        assert field in [e["field"] for e in body["errors"]], body
        assert all(e["code"] and e["message"] for e in body["errors"])
    return body


def _cursor(**tokens) -> str:
    """A cursor as the API encodes one: base64 of a query string (o offset, r reverse, p position)."""
    return quote(base64.b64encode(urlencode(tokens).encode()).decode())


# --- list endpoints: tampered cursors and limits ---------------------------------------------


@pytest.mark.parametrize("url", LIST_URLS)
@pytest.mark.parametrize(
    "position",
    [
        "2024",
        "not-a-time",
        "\x00",
        "2024-01-01 00:00:00",  # no offset: ambiguous
        "2024-13-45 00:00:00+00:00",
        "9999-12-31 23:59:59+00:00-",
        "9999-12-31 23:59:59-23:59",  # beyond the last UTC instant
        "0001-01-01 00:00:00+23:59",  # before the first UTC instant
    ],
)
def test_a_cursor_with_a_forged_position_is_400(api, create_order, url, position):
    create_order()

    response = api.get(f"{url}?cursor={_cursor(p=position)}")

    assert_problem(response, 400, "validation_failed", field="cursor")


@pytest.mark.parametrize("url", LIST_URLS)
@pytest.mark.parametrize("limit", ["101", "99999", "0", "-1", "1.5", "1e2", "%EF%BC%91"])
def test_a_limit_outside_1_to_100_is_400_not_quietly_changed(api, url, limit):
    response = api.get(f"{url}?limit={limit}")

    body = assert_problem(response, 400, "validation_failed", field="limit")
    assert "1 to 100" in body["detail"]


@pytest.mark.parametrize("limit", ["1", "100"])
def test_limits_of_1_and_100_are_accepted(api, limit):
    assert api.get(f"/api/v1/orders?limit={limit}").status_code == 200


LIST_FILTERS = {
    "/api/v1/orders": {
        "status": ["bogus", "%00"],
        "reference": ["x" * 101, "%00"],
        "created_after": ["yesterday", "2024-02-30T00:00:00Z"],
        "created_before": ["9999-12-31T23:59:59-23:59"],
        "created[gte]": ["%00"],
        "created[lte]": ["1e10"],
    },
    "/api/v1/payments": {"status": ["bogus"], "order": ["x" * 33, "%00"]},
    "/api/v1/refunds": {"payment": ["x" * 33, "%00"], "created[gte]": ["0"]},
    "/api/v1/events": {"type": ["x" * 65, "%00"]},
    "/api/v1/settlements": {
        "status": ["bogus"],
        "currency": ["usdx", "%00"],
        "payout_date_after": ["2024-02-30", "99999-01-01"],
        "payout_date_before": ["yesterday"],
    },
    "/api/v1/webhook-endpoints": {"enabled": ["maybe", "%00"]},
    "/api/v1/request-logs": {
        "status": ["bogus", "99", "600"],
        "path": ["x" * 256, "%00"],
        "request_id": ["x" * 129, "%00"],
        "created[gte]": ["yesterday"],
        "created[lte]": ["1e10"],
    },
}


@pytest.mark.parametrize(
    ("url", "name", "value"),
    [
        pytest.param(url, name, value, id=f"{url} {name}={value:.20}")
        for url, filters in LIST_FILTERS.items()
        for name, values in filters.items()
        for value in values
    ],
)
def test_a_bad_filter_value_is_400_naming_the_filter(api, url, name, value):
    response = api.get(f"{url}?{name}={value}")

    assert_problem(response, 400, "validation_failed", field=name)


@pytest.mark.parametrize("url", LIST_URLS)
@pytest.mark.parametrize("query", ["staus=failed", "page=2", "offset=20", "limit=5&sort=amount"])
def test_a_query_parameter_the_list_does_not_take_is_400_naming_it(api, url, query):
    """A misspelt filter would otherwise answer with the whole list, unfiltered."""
    name = query.rsplit("&", 1)[-1].split("=")[0]

    response = api.get(f"{url}?{query}")

    body = assert_problem(response, 400, "validation_failed", field=name)
    assert [e["code"] for e in body["errors"]] == ["unknown_parameter"]


def test_a_query_parameter_an_endpoints_deliveries_do_not_take_is_400(world):
    url = f"/api/v1/webhook-endpoints/{world['endpoint']}/deliveries?state=failed"

    assert_problem(world.client.get(url), 400, "validation_failed", field="state")


def test_a_bad_filter_of_an_endpoints_deliveries_is_400_naming_it(world):
    url = f"/api/v1/webhook-endpoints/{world['endpoint']}/deliveries"

    assert_problem(
        world.client.get(f"{url}?status=bogus"), 400, "validation_failed", field="status"
    )
    assert_problem(world.client.get(f"{url}?event=%00"), 400, "validation_failed", field="event")


def test_the_cursors_a_list_gives_still_page_through_it(api, create_order):
    ids = {create_order()["id"] for _ in range(5)}
    seen, url = [], "/api/v1/orders?limit=2"
    while url:
        page = api.get(url).json()
        seen += [o["id"] for o in page["data"]]
        url = page["next"]

    assert sorted(seen) == sorted(ids)
    last = api.get("/api/v1/orders?limit=2").json()["next"]
    backwards = api.get(api.get(last).json()["previous"])
    assert backwards.status_code == 200 and len(backwards.json()["data"]) == 2


# --- request bodies ----------------------------------------------------------------------------


def _order_body(reference: str, **fields) -> dict:
    return {"amount": 1000, "currency": "USD", "reference": reference, **fields}


def test_a_body_beyond_the_upload_limit_is_413_and_writes_nothing(api, settings):
    from payments.models import IdempotencyRecord, Order

    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    raw = (
        b'{"amount": 1000, "currency": "USD", "reference": "big", "description": "'
        + b"a" * 20_000
        + b'"}'
    )

    response = api.generic(
        "POST", "/api/v1/orders", raw, content_type="application/json", HTTP_IDEMPOTENCY_KEY="big"
    )

    body = assert_problem(response, 413, "payload_too_large")
    assert "10000 bytes" in body["detail"]
    assert not Order.objects.exists() and not IdempotencyRecord.objects.exists()
    retry = api.post(
        "/api/v1/orders", _order_body("big"), format="json", HTTP_IDEMPOTENCY_KEY="big"
    )
    assert retry.status_code == 201


@pytest.mark.parametrize(
    ("fields", "unknown"),
    [
        ({"capture_mehtod": "manual"}, "capture_mehtod"),  # a typo that would capture at once
        ({"status": "paid"}, "status"),
        ({"livemode": True}, "livemode"),
        ({"amount_captured": 1}, "amount_captured"),
        ({"\u202e": 1}, "\u202e"),
    ],
)
def test_a_field_the_operation_does_not_take_is_400_naming_it(api, fields, unknown):
    from payments.models import Order

    response = api.post("/api/v1/orders", _order_body("unknown", **fields), format="json")

    body = assert_problem(response, 400, "validation_failed", field=unknown)
    assert {"field": unknown, "code": "unknown_field"}.items() <= body["errors"][0].items()
    assert not Order.objects.exists()


def test_unknown_fields_are_named_beside_the_other_field_errors(api):
    response = api.post(
        "/api/v1/orders", {"amount": "10", "currency": "USD", "colour": "red"}, format="json"
    )

    body = assert_problem(response, 400, "validation_failed")
    assert {(e["field"], e["code"]) for e in body["errors"]} == {
        ("amount", "invalid"),
        ("reference", "required"),
        ("colour", "unknown_field"),
    }


def test_an_unknown_field_inside_the_card_is_named_by_its_path(api, create_order):
    from payments.models import Payment

    order = create_order()
    method = card_body()
    method["card"]["cvv"] = "123"

    response = api.post(
        f"/api/v1/orders/{order['id']}/payments", {"payment_method": method}, format="json"
    )

    assert_problem(response, 400, "validation_failed", field="payment_method.card.cvv")
    assert not Payment.objects.exists()


@pytest.mark.parametrize(
    ("url", "body", "unknown"),
    [
        ("/api/v1/payments/{payment}/capture", {"amount": 500, "final": True}, "final"),
        ("/api/v1/payments/{payment}/refunds", {"amount": 5, "metadata": {}}, "metadata"),
        ("/api/v1/payments/{payment}/otp", {"code": "123456", "otp": "1"}, "otp"),
        ("/api/v1/webhook-endpoints", {"url": "https://example.com/h", "events": ["*"]}, "events"),
        ("/api/v1/sandbox/bank-transfers", {"reference": "R", "amount": 1, "x": 1}, "x"),
    ],
)
def test_every_write_names_the_fields_it_does_not_take(
    api, create_order, pay_order, url, body, unknown
):
    from payments.models import Payment, Refund
    from webhooks.models import WebhookEndpoint

    order = create_order(capture_method="manual")
    payment = pay_order(order["id"], card_body()).json()
    before = (Payment.objects.get().status, Refund.objects.count(), WebhookEndpoint.objects.count())

    response = api.post(url.format(payment=payment["id"]), body, format="json")

    assert_problem(response, 400, "validation_failed", field=unknown)
    after = (Payment.objects.get().status, Refund.objects.count(), WebhookEndpoint.objects.count())
    assert after == before


@pytest.mark.parametrize(
    ("url", "body"),
    [
        ("/api/v1/orders", {**_order_body("many"), **{f"k{i}": 0 for i in range(150_000)}}),
        ("/api/v1/webhook-endpoints", {"url": "https://e.com/h", "enabled_events": [True] * 99}),
    ],
    ids=["150000 unknown fields", "99 wrong list items"],
)
def test_a_body_with_countless_errors_gets_a_short_answer(api, url, body):
    """Every error listed would make a 2 MB body a 25 MB answer: the list stops at 50."""
    response = api.post(url, body, format="json")

    problem = assert_problem(response, 400, "validation_failed")
    assert len(problem["errors"]) == 50
    assert len(response.content) < 20_000


def test_a_list_of_more_event_types_than_exist_is_refused_before_its_items_are_checked(api):
    body = {"url": "https://example.com/h", "enabled_events": [True] * 300_000}

    response = api.post("/api/v1/webhook-endpoints", body, format="json")

    problem = assert_problem(response, 400, "validation_failed", field="enabled_events")
    assert [e["code"] for e in problem["errors"]] == ["max_length"]


# --- paths -------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["get", "post", "patch", "delete"])
@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/nope",
        "/api/v1/orders/",  # a trailing slash
        "/api/v1/orders/ord_x/refunds",
        "/api/v1/orders/..%2F..%2Fadmin",
        "/api/v1/",
        "/api/v2/orders",
    ],
)
def test_an_unknown_api_path_is_a_404_problem(api, method, path):
    response = getattr(api, method)(path, {}, format="json")

    body = assert_problem(response, 404, "resource_missing")
    assert "/api/v1/docs" in body["detail"]


def test_an_unknown_api_path_is_a_404_problem_without_a_key_too():
    from rest_framework.test import APIClient

    assert_problem(APIClient().post("/api/v1/nope", {}, format="json"), 404, "resource_missing")


# --- webhook endpoint URLs -----------------------------------------------------------------------

UNSENDABLE_URLS = [
    "https://example.com/hooks\r\nX-Injected: 1",
    "https://example.com/ho\noks",
    "https://exa\tmple.com/hooks",
    "https://example.com/hooks\x7f",
    "https://ex ample.com/hooks",
    "https://ex\u200bample.com/hooks",  # a zero-width space in the host name
    "https://\u2603.net/hooks",  # not a valid IDNA host name
    "https://xn--zz.com/hooks",  # a malformed punycode label
]


@pytest.mark.parametrize("url", UNSENDABLE_URLS)
def test_a_webhook_url_that_cannot_be_sent_to_is_refused(api, url):
    from webhooks.models import WebhookEndpoint

    response = api.post(
        "/api/v1/webhook-endpoints", {"url": url, "enabled_events": ["*"]}, format="json"
    )

    assert_problem(response, 400, "validation_failed", field="url")
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize("url", UNSENDABLE_URLS[:3])
def test_a_webhook_url_that_cannot_be_sent_to_is_refused_as_an_update(api, url):
    created = api.post(
        "/api/v1/webhook-endpoints",
        {"url": "https://example.com/hooks", "enabled_events": ["*"]},
        format="json",
    ).json()

    response = api.patch(f"/api/v1/webhook-endpoints/{created['id']}", {"url": url}, format="json")

    assert_problem(response, 400, "validation_failed", field="url")
    assert api.get(f"/api/v1/webhook-endpoints/{created['id']}").json()["url"] == created["url"]


@pytest.mark.parametrize("url", UNSENDABLE_URLS[:3] + UNSENDABLE_URLS[-2:])
def test_a_stored_url_that_cannot_be_sent_to_fails_its_delivery_without_crashing(
    api, create_order, url
):
    """An endpoint registered before its URL was checked this way: its attempt is refused."""
    from payments.models import Event
    from webhooks.models import WebhookEndpoint
    from webhooks.tasks import webhook_deliver_task

    created = api.post(
        "/api/v1/webhook-endpoints",
        {"url": "https://example.com/hooks", "enabled_events": ["*"]},
        format="json",
    ).json()
    WebhookEndpoint.objects.filter(public_id=created["id"]).update(url=url)
    order = create_order()
    event = Event.objects.get(object_id=order["id"], type="order.created")
    (delivery,) = event_deliveries(event.pk)

    webhook_deliver_task(delivery.pk)

    attempt = delivery.attempts.get()
    assert attempt.error.startswith("Refused:") and attempt.status_code is None


# --- every operation of the schema -------------------------------------------------------------
#
# Each operation with the objects it acts on (a key of ``World``) and a valid body, so that a
# probe reaches the code behind the parsing: a refusal there must be a 4xx problem too.

METHOD_OTP = ("post", "/api/v1/customers/{customer_id}/payment-methods/{payment_method_id}/otp")
OPERATIONS = {
    ("get", "/api/v1/orders"): ({}, None),
    ("post", "/api/v1/orders"): ({}, {"amount": 1000, "currency": "USD", "reference": "probe"}),
    ("get", "/api/v1/orders/{order_id}"): ({"order_id": "order"}, None),
    ("post", "/api/v1/orders/{order_id}/cancel"): ({"order_id": "order"}, None),
    ("post", "/api/v1/orders/{order_id}/payments"): (
        {"order_id": "order"},
        {"payment_method": card_body()},
    ),
    ("get", "/api/v1/payments"): ({}, None),
    ("post", "/api/v1/payments"): (
        {},
        {"amount": 1000, "currency": "USD", "reference": "probe", "payment_method": card_body()},
    ),
    ("get", "/api/v1/payments/{payment_id}"): ({"payment_id": "captured"}, None),
    ("post", "/api/v1/payments/{payment_id}/otp"): ({"payment_id": "challenged"}, {"code": ""}),
    ("post", "/api/v1/payments/{payment_id}/otp/resend"): ({"payment_id": "challenged"}, None),
    ("post", "/api/v1/payments/{payment_id}/capture"): (
        {"payment_id": "authorized"},
        {"amount": 500},
    ),
    ("post", "/api/v1/payments/{payment_id}/cancel"): ({"payment_id": "authorized"}, None),
    ("post", "/api/v1/payments/{payment_id}/refunds"): (
        {"payment_id": "captured"},
        {"amount": 100, "reason": "probe"},
    ),
    ("get", "/api/v1/refunds"): ({}, None),
    ("get", "/api/v1/refunds/{refund_id}"): ({"refund_id": "refund"}, None),
    ("get", "/api/v1/events"): ({}, None),
    ("get", "/api/v1/events/{event_id}"): ({"event_id": "event"}, None),
    ("post", "/api/v1/events/{event_id}/redeliver"): ({"event_id": "event"}, {}),
    ("get", "/api/v1/webhook-endpoints"): ({}, None),
    ("post", "/api/v1/webhook-endpoints"): (
        {},
        {"url": "https://example.com/hooks", "enabled_events": ["*"], "description": "probe"},
    ),
    ("get", "/api/v1/webhook-endpoints/{endpoint_id}"): ({"endpoint_id": "endpoint"}, None),
    ("patch", "/api/v1/webhook-endpoints/{endpoint_id}"): (
        {"endpoint_id": "endpoint"},
        {"description": "changed", "enabled": False},
    ),
    ("delete", "/api/v1/webhook-endpoints/{endpoint_id}"): ({"endpoint_id": "endpoint"}, None),
    ("post", "/api/v1/webhook-endpoints/{endpoint_id}/rotate-secret"): (
        {"endpoint_id": "endpoint"},
        None,
    ),
    ("post", "/api/v1/webhook-endpoints/{endpoint_id}/redeliver-failed"): (
        {"endpoint_id": "endpoint"},
        {"since": "2020-01-01T00:00:00Z"},
    ),
    ("get", "/api/v1/webhook-endpoints/{endpoint_id}/deliveries"): (
        {"endpoint_id": "endpoint"},
        None,
    ),
    ("get", "/api/v1/sandbox/otp-messages"): ({}, None),
    ("post", "/api/v1/sandbox/bank-transfers"): ({}, {"reference": "transfer", "amount": 1000}),
    ("post", "/api/v1/sandbox/reset"): ({}, None),
    ("get", "/api/v1/settlements"): ({}, None),
    ("get", "/api/v1/settlements/{settlement_id}"): ({"settlement_id": "settlement"}, None),
    ("get", "/api/v1/settlements/{settlement_id}/report.csv"): (
        {"settlement_id": "settlement"},
        None,
    ),
    ("get", "/api/v1/fx/rates"): ({}, None),
    ("post", "/api/v1/fx/quotes"): (
        {},
        {"from_currency": "EUR", "to_currency": "USD", "amount": 1000, "lock": "1h"},
    ),
    ("get", "/api/v1/prices"): ({}, None),
    ("post", "/api/v1/prices"): (
        {},
        {"product_name": "Probe", "amount": 1000, "currency": "USD", "interval": "month"},
    ),
    ("get", "/api/v1/prices/{price_id}"): ({"price_id": "price"}, None),
    ("get", "/api/v1/invoices"): ({}, None),
    ("get", "/api/v1/invoices/{invoice_id}"): ({"invoice_id": "invoice"}, None),
    ("get", "/api/v1/customers"): ({}, None),
    ("post", "/api/v1/customers"): (
        {},
        {"email": "probe@example.com", "name": "Probe", "metadata": {"k": "v"}},
    ),
    ("get", "/api/v1/customers/{customer_id}"): ({"customer_id": "customer"}, None),
    ("patch", "/api/v1/customers/{customer_id}"): ({"customer_id": "customer"}, {"name": "New"}),
    ("delete", "/api/v1/customers/{customer_id}"): ({"customer_id": "customer"}, None),
    ("get", "/api/v1/customers/{customer_id}/payment-methods"): (
        {"customer_id": "customer"},
        None,
    ),
    ("post", "/api/v1/customers/{customer_id}/payment-methods"): (
        {"customer_id": "customer"},
        {
            **card_body(),
            "consent": {"text": "Save my card.", "ip": "203.0.113.7", "usage": "off_session"},
        },
    ),
    ("get", "/api/v1/customers/{customer_id}/payment-methods/{payment_method_id}"): (
        {"customer_id": "customer", "payment_method_id": "saved_method"},
        None,
    ),
    ("delete", "/api/v1/customers/{customer_id}/payment-methods/{payment_method_id}"): (
        {"customer_id": "customer", "payment_method_id": "saved_method"},
        None,
    ),
    METHOD_OTP: (
        {"customer_id": "customer", "payment_method_id": "verifying_method"},
        {"code": ""},
    ),
    (
        "post",
        "/api/v1/customers/{customer_id}/payment-methods/{payment_method_id}/otp/resend",
    ): ({"customer_id": "customer", "payment_method_id": "verifying_method"}, None),
    (
        "get",
        "/api/v1/customers/{customer_id}/payment-methods/{payment_method_id}/otp-messages",
    ): ({"customer_id": "customer", "payment_method_id": "verifying_method"}, None),
    ("get", "/api/v1/subscriptions"): ({}, None),
    ("post", "/api/v1/subscriptions"): ({}, {}),  # the world's customer, price and card
    ("get", "/api/v1/subscriptions/{subscription_id}"): ({"subscription_id": "subscription"}, None),
    ("post", "/api/v1/subscriptions/{subscription_id}"): (
        {"subscription_id": "subscription"},
        {},  # the world's price
    ),
    ("post", "/api/v1/subscriptions/{subscription_id}/cancel"): (
        {"subscription_id": "subscription"},
        {"at_period_end": True},
    ),
    ("post", "/api/v1/subscriptions/{subscription_id}/pause"): (
        {"subscription_id": "subscription"},
        None,
    ),
    ("post", "/api/v1/subscriptions/{subscription_id}/resume"): (
        {"subscription_id": "paused_subscription"},
        None,
    ),
    ("get", "/api/v1/subscriptions/{subscription_id}/attempts"): (
        {"subscription_id": "subscription"},
        None,
    ),
    ("get", "/api/v1/billing-settings"): ({}, None),
    ("post", "/api/v1/billing-settings"): (
        {},
        {"retry_schedule_days": [1, 3, 7], "final_status": "canceled"},
    ),
    ("get", "/api/v1/test-clocks"): ({}, None),
    ("post", "/api/v1/test-clocks"): ({}, {"frozen_time": "2026-01-31T10:00:00Z", "name": "P"}),
    ("get", "/api/v1/test-clocks/{clock_id}"): ({"clock_id": "clock"}, None),
    ("post", "/api/v1/test-clocks/{clock_id}/advance"): (
        {"clock_id": "clock"},
        {"frozen_time": "2026-02-01T10:00:00Z"},
    ),
    ("post", "/api/v1/invoices"): (
        {},
        {
            "customer": "",  # the world's customer
            "currency": "EUR",
            "lines": [{"description": "Probe", "quantity": 2, "unit_amount": 1000}],
            "due_days": 14,
            "memo": "m",
            "footer": "f",
            "metadata": {"k": "v"},
        },
    ),
    ("patch", "/api/v1/invoices/{invoice_id}"): (
        {"invoice_id": "invoice"},
        {"memo": "changed", "due_days": 7},
    ),
    ("post", "/api/v1/invoices/{invoice_id}/finalize"): ({"invoice_id": "invoice"}, None),
    ("post", "/api/v1/invoices/{invoice_id}/void"): ({"invoice_id": "open_invoice"}, None),
    ("post", "/api/v1/invoices/{invoice_id}/mark-uncollectible"): (
        {"invoice_id": "open_invoice"},
        None,
    ),
    ("post", "/api/v1/invoices/{invoice_id}/send"): (
        {"invoice_id": "open_invoice"},
        {"email": "probe@example.com"},
    ),
    ("get", "/api/v1/invoices/{invoice_id}/pdf"): ({"invoice_id": "open_invoice"}, None),
    ("get", "/api/v1/invoices/{invoice_id}/credit-notes"): ({"invoice_id": "open_invoice"}, None),
    ("post", "/api/v1/invoices/{invoice_id}/credit-notes"): (
        {"invoice_id": "open_invoice"},
        {"amount": 100, "reason": "other", "memo": "m", "credit_to": "refund"},
    ),
    ("get", "/api/v1/invoices/{invoice_id}/credit-notes/{credit_note_id}/pdf"): (
        {"invoice_id": "open_invoice", "credit_note_id": "credit_note"},
        None,
    ),
    ("get", "/api/v1/risk/rules"): ({}, None),
    ("post", "/api/v1/risk/rules"): (
        {},
        {"name": "Probe", "expression": "amount > 100000", "action": "block", "mode": "shadow"},
    ),
    ("get", "/api/v1/risk/rules/{rule_id}"): ({"rule_id": "rule"}, None),
    ("patch", "/api/v1/risk/rules/{rule_id}"): ({"rule_id": "rule"}, {"name": "Changed"}),
    ("get", "/api/v1/risk/rules/{rule_id}/versions"): ({"rule_id": "rule"}, None),
    ("post", "/api/v1/risk/rules/{rule_id}/backtest"): (
        {"rule_id": "rule"},
        {"since": "2020-01-01T00:00:00Z", "until": "2030-01-01T00:00:00Z"},
    ),
    ("get", "/api/v1/disputes"): ({}, None),
    ("get", "/api/v1/disputes/{dispute_id}"): ({"dispute_id": "dispute"}, None),
    ("post", "/api/v1/disputes/{dispute_id}/evidence"): (
        {"dispute_id": "dispute"},
        {"uncategorized_text": "Receipt attached."},
    ),
    ("get", "/api/v1/disputes/{dispute_id}/evidence/files/{file_id}"): (
        {"file_id": "dispute_file", "dispute_id": "dispute"},  # the file id is forged
        None,
    ),
    ("post", "/api/v1/disputes/{dispute_id}/submit"): ({"dispute_id": "evidenced_dispute"}, None),
    ("post", "/api/v1/disputes/{dispute_id}/accept"): ({"dispute_id": "dispute"}, None),
    ("get", "/api/v1/risk/lists"): ({}, None),
    ("post", "/api/v1/risk/lists"): ({}, {"list": "block", "kind": "ip", "value": "192.0.2.99"}),
    ("delete", "/api/v1/risk/lists/{entry_id}"): ({"entry_id": "list_entry"}, None),
}
OPERATIONS |= {
    ("get", "/api/v1/payout-batches"): ({}, None),
    ("post", "/api/v1/payout-batches"): (
        {},
        {
            "reference": "probe-payouts",
            "items": [
                {
                    "name": "Probe supplier",
                    "iban": "DE89370400440532013000",
                    "amount": 500,  # of the 10.00 EUR the world settles, less its fees
                    "currency": "EUR",
                    "reference": "probe-payout-1",
                }
            ],
        },
    ),
    ("get", "/api/v1/payout-batches/{batch_id}"): ({"batch_id": "payout_batch"}, None),
    ("get", "/api/v1/payout-batches/{batch_id}/payouts"): ({"batch_id": "payout_batch"}, None),
    ("get", "/api/v1/charge-batches"): ({}, None),
    ("get", "/api/v1/request-logs"): ({}, None),
    ("get", "/api/v1/signing-keys"): ({}, None),
    ("post", "/api/v1/signing-keys"): ({}, {"public_key": PROBE_PUBLIC_KEY, "name": "probe"}),
    ("get", "/api/v1/signing-keys/{key_id}"): ({"key_id": "signing_key"}, None),
    ("delete", "/api/v1/signing-keys/{key_id}"): ({"key_id": "signing_key"}, None),
    ("post", "/api/v1/charge-batches"): ({}, {"reference": "probe-charges", "items": []}),
    ("get", "/api/v1/charge-batches/{batch_id}"): ({"batch_id": "charge_batch"}, None),
    ("post", "/api/v1/charge-batches/{batch_id}/start"): ({"batch_id": "charge_batch"}, None),
}
WRITES = [op for op in OPERATIONS if op[0] != "get"]
WITH_PATH_ID = [op for op in OPERATIONS if OPERATIONS[op][0]]


class World:
    """A merchant's objects, each made the first time a test asks for it (through the API)."""

    def __init__(self, client, create_order, pay_order):
        self.client, self._create_order, self._pay_order = client, create_order, pay_order
        self._made: dict[str, str] = {}

    def __getitem__(self, name: str) -> str:
        if name not in self._made:
            self._made[name] = getattr(self, f"_make_{name}")()
        return self._made[name]

    def _pay(self, method, **order_fields) -> dict:
        order = self._create_order(self.client, **order_fields)
        response = self._pay_order(order["id"], method, client=self.client)
        assert response.status_code == 201, response.content
        return response.json()

    def _make_order(self) -> str:
        return self._create_order(self.client)["id"]

    def _make_captured(self) -> str:
        return self._pay(card_body())["id"]

    def _make_authorized(self) -> str:
        return self._pay(card_body(), capture_method="manual")["id"]

    def _make_challenged(self) -> str:
        from tests.conftest import OTP_CARD

        return self._pay(card_body(OTP_CARD))["id"]

    def _make_transfer(self) -> str:
        return self._pay({"type": "bank_transfer"})["next_action"]["reference"]

    def _make_refund(self) -> str:
        response = self.client.post(
            f"/api/v1/payments/{self['captured']}/refunds", {"amount": 100}, format="json"
        )
        return response.json()["id"]

    def _make_event(self) -> str:
        self["order"]
        return self.client.get("/api/v1/events").json()["data"][0]["id"]

    def _make_endpoint(self) -> str:
        body = {"url": "https://example.com/hooks", "enabled_events": ["*"]}
        return self.client.post("/api/v1/webhook-endpoints", body, format="json").json()["id"]

    def _make_signing_key(self) -> str:
        body = {"public_key": WORLD_PUBLIC_KEY}
        return self.client.post("/api/v1/signing-keys", body, format="json").json()["id"]

    def _make_price(self) -> str:
        body = OPERATIONS[("post", "/api/v1/prices")][1]
        return self.client.post("/api/v1/prices", body, format="json").json()["id"]

    def _make_customer(self) -> str:
        body = {"email": "world@example.com"}  # an address to send its invoices to
        return self.client.post("/api/v1/customers", body, format="json").json()["id"]

    def _make_saved_method(self) -> str:
        operation = ("post", "/api/v1/customers/{customer_id}/payment-methods")
        url = f"/api/v1/customers/{self['customer']}/payment-methods"
        return self.client.post(url, OPERATIONS[operation][1], format="json").json()["id"]

    def _make_verifying_method(self) -> str:
        from tests.conftest import OTP_CARD

        operation = ("post", "/api/v1/customers/{customer_id}/payment-methods")
        url = f"/api/v1/customers/{self['customer']}/payment-methods"
        body = {**OPERATIONS[operation][1], **card_body(OTP_CARD)}
        return self.client.post(url, body, format="json").json()["id"]

    def _make_clock(self) -> str:
        body = {"frozen_time": "2026-01-31T10:00:00Z"}
        return self.client.post("/api/v1/test-clocks", body, format="json").json()["id"]

    def _subscribe(self) -> str:
        operation = ("post", "/api/v1/subscriptions")
        response = self.client.post("/api/v1/subscriptions", self.body(operation), format="json")
        assert response.status_code == 201, response.content
        return response.json()["id"]

    def _make_subscription(self) -> str:
        return self._subscribe()

    def _make_paused_subscription(self) -> str:
        subscription = self._subscribe()
        self.client.post(f"/api/v1/subscriptions/{subscription}/pause", {}, format="json")
        return subscription

    def _make_invoice(self) -> str:
        body = self.body(("post", "/api/v1/invoices"))
        return self.client.post("/api/v1/invoices", body, format="json").json()["id"]

    def _make_open_invoice(self) -> str:
        invoice = self["invoice"]
        return self.client.post(f"/api/v1/invoices/{invoice}/finalize").json()["id"]

    def _make_credit_note(self) -> str:
        url = f"/api/v1/invoices/{self['open_invoice']}/credit-notes"
        body = {"amount": 100, "reason": "other"}
        return self.client.post(url, body, format="json").json()["id"]

    def _make_dispute(self) -> str:
        from datetime import timedelta

        from django.utils import timezone

        from risk.services.disputes import disputes_open_due

        payment = self._pay(card_body("4000000000000259"))
        disputes_open_due(now=timezone.now() + timedelta(minutes=5))
        return self.client.get(f"/api/v1/disputes?payment={payment['id']}").json()["data"][0]["id"]

    def _make_evidenced_dispute(self) -> str:
        dispute = self._make_dispute()
        body = {"uncategorized_text": "Receipt attached."}
        self.client.post(f"/api/v1/disputes/{dispute}/evidence", body, format="json")
        return dispute

    def _make_dispute_file(self) -> str:
        from django.core.files.uploadedfile import SimpleUploadedFile

        url = f"/api/v1/disputes/{self['dispute']}/evidence"
        body = {"files": [SimpleUploadedFile("receipt.pdf", b"%PDF-1.4\n%%EOF\n")]}
        response = self.client.post(url, body, format="multipart")
        assert response.status_code == 200, response.content
        return response.json()["evidence_files"][0]["id"]

    def _make_balance(self) -> str:
        """A settled EUR balance kept for bulk payouts (manual payouts): captured, then settled."""
        from datetime import timedelta

        import time_machine
        from django.utils import timezone

        from payments.models import Merchant
        from settlement.services import cutoff_for, settlement_run

        merchant = Merchant.objects.get(
            payments__public_id=self._pay(card_body(), currency="EUR")["id"]
        )
        merchant.payout_schedule = "manual"
        merchant.save(update_fields=["payout_schedule"])
        cutoff = cutoff_for(timezone.now().date() + timedelta(days=1))
        with time_machine.travel(cutoff, tick=False):
            settlement_run(cutoff=cutoff)
        return merchant.public_id

    def _make_payout_batch(self) -> str:
        operation = ("post", "/api/v1/payout-batches")
        response = self.client.post("/api/v1/payout-batches", self.body(operation), format="json")
        assert response.status_code == 201, response.content
        return response.json()["id"]

    def _make_charge_batch(self) -> str:
        operation = ("post", "/api/v1/charge-batches")
        response = self.client.post("/api/v1/charge-batches", self.body(operation), format="json")
        assert response.status_code == 201, response.content
        return response.json()["id"]

    def _make_rule(self) -> str:
        body = OPERATIONS[("post", "/api/v1/risk/rules")][1]
        return self.client.post("/api/v1/risk/rules", body, format="json").json()["id"]

    def _make_list_entry(self) -> str:
        body = OPERATIONS[("post", "/api/v1/risk/lists")][1]
        return self.client.post("/api/v1/risk/lists", body, format="json").json()["id"]

    def _make_settlement(self) -> str:
        from datetime import timedelta

        import time_machine
        from django.utils import timezone

        from settlement.services import cutoff_for, settlement_run

        self["captured"]
        cutoff = cutoff_for(timezone.now().date() + timedelta(days=1))
        with time_machine.travel(cutoff, tick=False):
            (batch,) = settlement_run(cutoff=cutoff)
        return batch.public_id

    def _make_rates(self) -> str:
        from datetime import date

        from fx.providers import EcbHistoryProvider
        from fx.rates import rates_import

        return str(rates_import(provider=EcbHistoryProvider(), since=date(2026, 10, 26)))

    def url(self, operation, **override) -> str:
        _, template = operation
        ids = {param: self[name] for param, name in OPERATIONS[operation][0].items()}
        if operation == ("get", "/api/v1/sandbox/otp-messages"):
            template += f"?payment={self['challenged']}"
        if template.startswith("/api/v1/fx/"):
            self["rates"]  # the ECB's fixings, loaded once
            if operation[0] == "get":
                template += "?base=EUR&quote=USD"
        return template.format(**{**ids, **override})

    def body(self, operation):
        body = OPERATIONS[operation][1]
        if operation == ("post", "/api/v1/invoices"):
            body = {**body, "customer": self["customer"]}
        if operation == ("post", "/api/v1/sandbox/bank-transfers"):
            body = {**body, "reference": self["transfer"]}
        if operation == ("post", "/api/v1/payments/{payment_id}/otp"):
            inbox = f"/api/v1/sandbox/otp-messages?payment={self['challenged']}"
            body = {"code": self.client.get(inbox).json()["data"][0]["code"]}
        if operation == ("post", "/api/v1/subscriptions"):
            body = {
                "customer": self["customer"],
                "price": self["price"],
                "payment_method": self["saved_method"],
                "trial_days": 0,
                "billing_cycle_anchor": None,
            }
        if operation == ("post", "/api/v1/subscriptions/{subscription_id}"):
            body = {"price": self["price"]}
        if operation == CUSTOMER_CREATE:
            body = {**body, "test_clock": self["clock"]}
        if operation == ("post", "/api/v1/payout-batches"):
            self["balance"]
        if operation == ("post", "/api/v1/charge-batches"):
            item = {
                "reference": "probe-charge-1",
                "customer": self["customer"],
                "payment_method": self["saved_method"],
                "amount": 1000,
                "currency": "USD",
            }
            body = {**body, "items": [item]}
        if operation == METHOD_OTP:
            url = self.url(operation).removesuffix("/otp") + "/otp-messages"
            body = {"code": self.client.get(url).json()["data"][0]["code"]}
        return body


@pytest.fixture
def world(api, create_order, pay_order, settings):
    settings.PAYMENTS_OTP_RESEND_COOLDOWN = 0
    return World(api, create_order, pay_order)


@pytest.fixture
def other_world(other_api, create_order, pay_order):
    return World(other_api, create_order, pay_order)


def snapshot() -> dict:
    """Every row a request could write, with the states it could change."""
    from billing.models import Customer, Invoice, PaymentMethod, Price
    from invoicing.models import CreditNote
    from ledger.models import JournalEntry
    from payments.models import (
        Event,
        IdempotencyRecord,
        Order,
        Payment,
        PaymentAttempt,
        Refund,
    )
    from risk.models import ListEntry, Rule
    from webhooks.models import WebhookDelivery, WebhookEndpoint

    return {
        "risk_rules": list(Rule.objects.order_by("pk").values_list("pk", "version", "mode")),
        "risk_lists": ListEntry.objects.count(),
        "prices": Price.objects.count(),
        "customers": list(
            Customer.objects.order_by("pk").values_list("pk", "email", "name", "deleted_at")
        ),
        "payment_methods": list(
            PaymentMethod.objects.order_by("pk").values_list("pk", "detached_at")
        ),
        "orders": list(Order.objects.order_by("pk").values_list("pk", "status")),
        "payments": list(
            Payment.objects.order_by("pk").values_list("pk", "status", "amount_captured")
        ),
        "attempts": PaymentAttempt.objects.count(),
        "refunds": list(Refund.objects.order_by("pk").values_list("pk", "status")),
        "events": Event.objects.count(),
        "journal": JournalEntry.objects.count(),
        "endpoints": list(
            WebhookEndpoint.objects.order_by("pk").values_list(
                "pk", "url", "enabled", "description", "secret_encrypted"
            )
        ),
        "deliveries": list(
            WebhookDelivery.objects.order_by("pk").values_list("pk", "status", "attempt_count")
        ),
        "idempotency": IdempotencyRecord.objects.count(),
        "invoices": list(
            Invoice.objects.order_by("pk").values_list("pk", "status", "number", "amount_remaining")
        ),
        "credit_notes": CreditNote.objects.count(),
    }


def _send(client, method, url, body=None, **extra):
    if body is None:
        return getattr(client, method)(url, **extra)
    return getattr(client, method)(url, body, format="json", **extra)


def test_the_probes_cover_every_operation_of_the_schema(api):
    schema = api.get("/api/v1/schema?format=json").json()

    operations = {
        (method, path)
        for path, item in schema["paths"].items()
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    }

    assert operations == set(OPERATIONS)


def test_request_bodies_in_the_schema_carry_no_description_of_our_base_class(api):
    schema = api.get("/api/v1/schema?format=json").json()

    descriptions = [c.get("description", "") for c in schema["components"]["schemas"].values()]

    assert not [d for d in descriptions if "misspelt" in d or "does not take" in d]


@pytest.mark.parametrize("operation", OPERATIONS, ids="{0[0]} {0[1]}".format)
def test_every_operation_answers_its_valid_request_without_an_error(world, operation):
    """The probes below start from these requests: each must work, or they prove nothing."""
    response = _send(world.client, operation[0], world.url(operation), world.body(operation))

    assert response.status_code < 300, response.content


def _cases(operations, probes, *, everywhere: int, on):
    """Every probe against ``on``, the first ``everywhere`` of them against every operation.

    The parsing and lookups are shared code: one operation gets the whole list, the others
    the probes most likely to find a view that skips them.
    """
    return [
        pytest.param(op, probe, id=f"{op[0]} {op[1]} {probe!r:.40}")
        for op in operations
        for probe in (probes if op == on else probes[:everywhere])
    ]


FORGED_IDS = [
    "other",  # another merchant's object of the same kind
    "%00",
    "x" * 3000,
    "%F0%9F%92%B3",
    "%ED%A0%80",  # a lone surrogate, UTF-8 encoded
    "ord_%27%20OR%201%3D1--",
    "%25",
]


@pytest.mark.parametrize(
    ("operation", "forged"),
    _cases(WITH_PATH_ID, FORGED_IDS, everywhere=3, on=("get", "/api/v1/orders/{order_id}")),
)
def test_a_forged_or_foreign_id_in_the_path_is_a_404_that_writes_nothing(
    world, other_world, operation, forged
):
    params = OPERATIONS[operation][0]
    param = next(iter(params))
    value = other_world[params[param]] if forged == "other" else forged
    url = world.url(operation, **{param: value})
    body = world.body(operation)
    before = snapshot()

    response = _send(world.client, operation[0], url, body)

    body = assert_problem(response, 404, "resource_missing")
    assert value not in body["detail"]
    assert snapshot() == before


NOT_OBJECTS = [b"[]", b"[{}]", b'"text"', b"42", b"true", b"1.5"]
MALFORMED = [
    b"{",
    b'{"amount": NaN}',
    b'{"amount": 1,}',
    b'{"amount": Infinity}',
    b'{"amount": -Infinity}',
    b"\xff\xfe",
    b'{"a": 1}{"b": 2}',
    b'{"a": "\\u0000"}',
    b'{"a": "\\udc00"}',
]


ORDER_CREATE = ("post", "/api/v1/orders")


@pytest.mark.parametrize(
    ("operation", "raw"), _cases(WRITES, MALFORMED, everywhere=2, on=ORDER_CREATE)
)
def test_a_malformed_body_is_400_for_every_write_and_writes_nothing(world, operation, raw):
    url = world.url(operation)
    before = snapshot()

    response = world.client.generic(operation[0].upper(), url, raw, content_type="application/json")

    assert_problem(response, 400, "malformed_request")
    assert snapshot() == before


@pytest.mark.parametrize(
    ("operation", "raw"), _cases(WRITES, NOT_OBJECTS, everywhere=2, on=ORDER_CREATE)
)
def test_a_body_that_is_not_a_json_object_is_400_for_every_write(world, operation, raw):
    url = world.url(operation)
    before = snapshot()

    response = world.client.generic(operation[0].upper(), url, raw, content_type="application/json")

    body = assert_problem(response, 400, "validation_failed")
    assert body["errors"] and body["errors"][0]["field"] is None
    assert snapshot() == before


NOT_JSON = [
    "text/plain",
    "application/x-www-form-urlencoded",
    "application/xml",
    "multipart/form-data",
]


@pytest.mark.parametrize(
    ("operation", "content_type"), _cases(WRITES, NOT_JSON, everywhere=2, on=ORDER_CREATE)
)
def test_a_body_that_is_not_json_is_415_for_every_write(world, operation, content_type):
    url = world.url(operation)
    before = snapshot()

    response = world.client.generic(
        operation[0].upper(), url, b'{"amount": 1000}', content_type=content_type
    )

    assert_problem(response, 415, "unsupported_media_type")
    assert snapshot() == before


@pytest.mark.parametrize("operation", WRITES, ids="{0[0]} {0[1]}".format)
def test_a_field_no_write_takes_is_400_for_every_write(world, operation):
    url = world.url(operation)
    body = {**(world.body(operation) or {}), "no_such_field": 1}
    before = snapshot()

    response = _send(world.client, operation[0], url, body)

    assert_problem(response, 400, "validation_failed", field="no_such_field")
    assert snapshot() == before


# --- every field of every write: wrong types, sizes and values ----------------------------------

AMOUNTS = ["1000", 10.5, 1000.0, True, None, -1, 0, 10**30, -(10**30), [], {}]
TEXT = [True, [], {}, None]
CHOICE = ["bogus", 1, None, [], True]
BOOLEAN = ["maybe", 2, None, [], {}]
CARD = ("post", "/api/v1/orders/{order_id}/payments")
INVOICE_LINES = [
    *TEXT,
    [],
    [{}],
    [{"description": "x", "unit_amount": "100"}],
    [{"description": "x", "unit_amount": -100}],
    [{"description": "", "unit_amount": 100}],
    [{"description": "x", "unit_amount": 100, "quantity": 0}],
    [{"description": "x", "unit_amount": 100, "tax_rate_bps": 10001}],
    [{"description": "x", "unit_amount": 10**30}],
    [{"description": "x", "unit_amount": 100}] * 251,
]
ENDPOINT_CREATE = ("post", "/api/v1/webhook-endpoints")
ENDPOINT_UPDATE = ("patch", "/api/v1/webhook-endpoints/{endpoint_id}")
CARD_PROBES = {
    "payment_method": [*TEXT, "card"],
    "payment_method.type": CHOICE,
    "payment_method.card": [*TEXT, "4242424242424242"],
    "payment_method.card.number": [
        *TEXT,
        "4242",
        "abcd",
        "4242424242424241",  # fails the Luhn check
        "\u0664\u0662\u0664\u0662" * 4,  # Arabic-Indic digits
        "\uff14\uff12\uff14\uff12" * 4,  # full-width digits
        "4" * 33,
    ],
    "payment_method.card.exp_month": ["12a", 13, 0, -1, True, 1.5, None, "", [], 10**30],
    "payment_method.card.exp_year": ["20x5", 10**30, -1, 10000, True, 1.5, None, ""],
    "payment_method.card.cvc": [*TEXT, "", "12", "12345", "abc", "\uff11\uff12\uff13"],
    "payment_method.card.holder_name": [True, [], {}, "x" * 201, "123", "\u202e", "<b>"],
    "payment_method.id": [*TEXT, "x" * 33, "pm_x"],  # only for type saved
}
CUSTOMER_CREATE = ("post", "/api/v1/customers")
CUSTOMER_PROBES = {
    "email": [*TEXT, "nope", "a@" + "b" * 300 + ".com"],
    "name": [*TEXT, "x" * 201],
    "metadata": [[], "x", {"k": [1]}, {"k" * 41: 1}, {f"k{i}": i for i in range(51)}],
}
RULE_POINTS = [101, -101, 10**30, "10", 1.5, 10.0, True, None, [], {}]
FIELD_PROBES = {
    ORDER_CREATE: {
        "amount": AMOUNTS,
        "currency": [*TEXT, "", "US", "USDX", "XXX", "$$$", 840],
        "reference": [*TEXT, "", "   ", "x" * 101],
        "description": [*TEXT, "x" * 501],
        "customer_email": [*TEXT, "nope", "a@" + "b" * 300 + ".com"],
        "return_url": [
            *TEXT,
            "javascript:alert(1)",
            "ftp://example.com",
            "http://[::1",
            "x" * 2001,
        ],
        "capture_method": CHOICE,
        "customer": [*TEXT, "x" * 33, "cus_" + "x" * 24],
        "setup_future_usage": CHOICE,
        "metadata": [
            [],
            "x",
            {"k": [1]},
            {"k": {"a": 1}},
            {"k": 1.5},
            {"k" * 41: 1},
            {f"k{i}": i for i in range(51)},
            {"k": "x" * 501},
        ],
        "fx_quote": [*TEXT, "x" * 33, "fxq_unknown"],
        "line_items": [
            "x",
            1,
            True,
            {},
            [1],
            [None],
            [[]],
            [{}],
            [{"name": "a", "quantity": 1, "unit_amount": 999}],  # adds up to 999, not 1000
            [{"name": "x" * 201, "quantity": 1, "unit_amount": 1000}],
            [{"name": "\u202e", "quantity": True, "unit_amount": 1000}],
            [{"name": "a", "quantity": 1.0, "unit_amount": 1000}],
            [{"name": "a", "quantity": "1", "unit_amount": 1000}],
            [{"name": "a", "quantity": 10**6, "unit_amount": 1000}],
            [{"name": "a", "quantity": 1, "unit_amount": 10**30}],
            [{"name": "a", "quantity": 1, "unit_amount": 1000, "sku": "x"}],
            [{"name": "a", "quantity": 1, "unit_amount": 10}] * 101,
        ],
    },
    CARD: CARD_PROBES,
    ("post", "/api/v1/payments/{payment_id}/capture"): {"amount": AMOUNTS},
    ("post", "/api/v1/payments/{payment_id}/otp"): {"code": [*TEXT, "1" * 13]},
    METHOD_OTP: {"code": [*TEXT, "1" * 13]},
    ("post", "/api/v1/payments/{payment_id}/refunds"): {
        "amount": AMOUNTS,
        "reason": [*TEXT, "x" * 501],
    },
    ENDPOINT_CREATE: {
        "url": [*TEXT, "", "ftp://example.com/h", "https://", "https://example.com/#f", "x" * 2001],
        "enabled_events": ["*", [], [1], [None], ["bogus.event"], {}, ["x" * 65], None],
        "description": [True, [], {}, None, "x" * 501],
        "enabled": BOOLEAN,
    },
    ("post", "/api/v1/signing-keys"): {
        "public_key": [
            *TEXT,
            "",
            "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----",
            "x" * 4001,
        ],
        "name": [True, [], {}, None, "x" * 101],
    },
    ENDPOINT_UPDATE: {
        "url": [*TEXT, "", "ftp://example.com/h", "x" * 2001],
        "enabled_events": ["*", [], [1], ["bogus.event"], None],
        "description": [True, [], {}, None, "x" * 501],
        "enabled": BOOLEAN,
    },
    ("post", "/api/v1/webhook-endpoints/{endpoint_id}/redeliver-failed"): {
        "since": [
            *TEXT,
            "yesterday",
            1700000000,
            "2024-13-01T00:00:00Z",
            "9999-12-31T23:59:59-23:59",
        ],
    },
    ("post", "/api/v1/events/{event_id}/redeliver"): {"endpoint": [True, [], {}, "x" * 33]},
    ("post", "/api/v1/sandbox/bank-transfers"): {
        "reference": [*TEXT, "", "x" * 101],
        "amount": AMOUNTS,
    },
    ("post", "/api/v1/prices"): {
        "product_name": [*TEXT, "", "   ", "x" * 201],
        "amount": AMOUNTS,
        "currency": [*TEXT, "", "US", "XXX", 840],
        "interval": CHOICE,
        "interval_count": [0, -1, 13, 366, "1", 1.5, True, None, 10**30],
        "trial_days": [0, -1, 731, "7", 1.5, True, 10**30],
    },
    ("post", "/api/v1/payout-batches"): {
        "reference": [*TEXT, "", "x" * 101],
        "items": [*TEXT[:3], "x", [], [None], [1] * 10_001],
    },
    ("post", "/api/v1/charge-batches"): {
        "reference": [*TEXT, "", "x" * 101],
        "items": [*TEXT[:3], "x", [], [None], [1] * 10_001],
    },
    ("post", "/api/v1/fx/quotes"): {
        "from_currency": [*TEXT, "", "US", "XXX", 978],
        "to_currency": [*TEXT, "", "US", "XXX", 840],
        "amount": AMOUNTS,
        "lock": CHOICE,
    },
    CUSTOMER_CREATE: {**CUSTOMER_PROBES, "test_clock": [*TEXT, "clock_nope", "x" * 33]},
    ("patch", "/api/v1/customers/{customer_id}"): CUSTOMER_PROBES,
    ("post", "/api/v1/customers/{customer_id}/payment-methods"): {
        "type": CHOICE,
        **{
            name.removeprefix("payment_method."): values
            for name, values in CARD_PROBES.items()
            if name.startswith("payment_method.card")
        },
        "consent": [*TEXT, "yes"],
        "consent.text": [True, [], {}, None, "", "   ", "x" * 2001],
        "consent.ip": [*TEXT, "", "nope", "999.1.1.1"],
        "consent.usage": CHOICE,
    },
    ("post", "/api/v1/subscriptions"): {
        "customer": [*TEXT, "cus_nope", "x" * 33],
        "price": [*TEXT, "price_nope", "x" * 33],
        "payment_method": [*TEXT, "pm_nope", "x" * 33],
        "trial_days": [-1, 731, "7", 1.5, True, 10**30],
        "billing_cycle_anchor": [True, [], {}, "yesterday", 1700000000, "2020-01-01T00:00:00Z"],
    },
    ("post", "/api/v1/subscriptions/{subscription_id}"): {
        "price": [*TEXT, "price_nope", "x" * 33],
    },
    ("post", "/api/v1/subscriptions/{subscription_id}/cancel"): {"at_period_end": BOOLEAN},
    ("post", "/api/v1/billing-settings"): {
        "retry_schedule_days": [*TEXT, [], [0], [61], [3, 1], [1] * 9, ["1"], [1.5]],
        "final_status": CHOICE,
    },
    ("post", "/api/v1/test-clocks"): {
        "frozen_time": [*TEXT, "", "tomorrow", 1700000000, "2024-13-01T00:00:00Z"],
        "name": [True, [], {}, "x" * 201],
    },
    ("post", "/api/v1/test-clocks/{clock_id}/advance"): {
        "frozen_time": [*TEXT, "", "soon", "2020-01-01T00:00:00Z", "2040-01-01T00:00:00Z"],
    },
    ("post", "/api/v1/invoices"): {
        "customer": [*TEXT, "", "cus_nope", "x" * 33],
        "currency": [*TEXT, "", "US", "XXX", 840],
        "lines": INVOICE_LINES,
        "due_days": [-1, 366, "7", 1.5, True],
        "due_date": [*TEXT, "", "tomorrow", "2001-01-01", 20990101],
        "memo": [True, [], {}, "x" * 5001],
        "footer": [True, [], {}, "x" * 5001],
        "metadata": [[], "x", {"k": [1]}, {"k" * 41: 1}],
    },
    ("patch", "/api/v1/invoices/{invoice_id}"): {
        "lines": INVOICE_LINES,
        "due_days": [-1, 366, "7", 1.5, True, None],
        "due_date": [*TEXT, "", "2001-01-01"],
        "memo": [True, [], {}, None, "x" * 5001],
        "footer": [True, [], {}, None, "x" * 5001],
        "metadata": [[], "x", {"k": [1]}],
    },
    ("post", "/api/v1/invoices/{invoice_id}/send"): {"email": [*TEXT, "", "nope"]},
    ("post", "/api/v1/risk/rules"): {
        "name": [*TEXT, "", "x" * 101],
        "expression": [*TEXT, "", "amount >", "no_such_feature > 1", "amount + 1", "x" * 4001],
        "action": CHOICE,
        "mode": CHOICE,
        "points": RULE_POINTS,
    },
    ("patch", "/api/v1/risk/rules/{rule_id}"): {
        "name": [*TEXT, "", "x" * 101],
        "expression": [*TEXT, "", "amount >", "amount + 1"],
        "action": CHOICE,
        "mode": CHOICE,
        "points": RULE_POINTS,
    },
    ("post", "/api/v1/disputes/{dispute_id}/evidence"): {
        name: [*TEXT, "x" * 20_001]
        for name in (
            "uncategorized_text",
            "customer_communication",
            "product_description",
            "shipping_tracking_number",
            "refund_policy",
            "customer_email_address",
        )
    },
    ("post", "/api/v1/invoices/{invoice_id}/credit-notes"): {
        "amount": [*AMOUNTS, 10**9],
        "lines": [[], "x", [{}], [{"description": "x", "unit_amount": 0}]],
        "reason": CHOICE,
        "memo": [True, [], {}, "x" * 501],
        "credit_to": CHOICE,
    },
}


def _set(body: dict, path: str, value) -> dict:
    """Return a deep copy of ``body`` with the field at the dotted ``path`` set to ``value``."""
    import copy

    body = copy.deepcopy(body)
    *parents, name = path.split(".")
    target = body
    for parent in parents:
        target = target[parent]
    target[name] = value
    return body


@pytest.mark.parametrize(
    ("operation", "field", "value"),
    [
        pytest.param(op, field, value, id=f"{op[0]} {op[1]} {field}={value!r:.30}")
        for op, fields in FIELD_PROBES.items()
        for field, values in fields.items()
        for value in values
    ],
)
def test_a_bad_field_value_is_400_naming_the_field_and_writes_nothing(
    world, operation, field, value
):
    url = world.url(operation)
    body = _set(world.body(operation) or {}, field, value)
    before = snapshot()

    response = _send(world.client, operation[0], url, body)

    problem = assert_problem(response, 400, "validation_failed")
    named = [e["field"] for e in problem["errors"]]
    # The field, or a field inside it (payment_method={} names payment_method.type).
    assert any(f == field or f.startswith(f"{field}.") for f in named if f), named
    assert all(e["code"] and e["message"] for e in problem["errors"])
    assert problem["detail"] == problem["errors"][0]["message"]
    assert snapshot() == before


@pytest.mark.parametrize("operation", FIELD_PROBES, ids="{0[0]} {0[1]}".format)
def test_a_write_without_the_fields_the_schema_calls_optional_is_accepted(api, world, operation):
    """A client that leaves out only what the schema calls optional is not refused for it."""
    schema = api.get("/api/v1/schema?format=json").json()
    components = schema["components"]["schemas"]
    method, path = operation
    content = schema["paths"][path][method]["requestBody"]["content"]["application/json"]

    def strip(body: dict, ref: dict) -> dict:
        node = components[ref["$ref"].rsplit("/", 1)[1]] if "$ref" in ref else ref
        kept = {}
        for name, value in body.items():
            if name not in node.get("required", []) and name != "card":  # required for cards
                continue
            sub = node["properties"][name]
            sub = sub.get("allOf", [sub])[0]
            kept[name] = strip(value, sub) if isinstance(value, dict) and "$ref" in sub else value
        return kept

    body = strip(world.body(operation), content["schema"])

    response = _send(world.client, method, world.url(operation), body)

    assert response.status_code < 300, response.content


def test_the_field_probes_cover_every_field_of_every_write(api):
    """A field added to a request body without probes here fails this test."""
    schema = api.get("/api/v1/schema?format=json").json()
    components = schema["components"]["schemas"]

    def fields(ref_or_schema, prefix=""):
        node = ref_or_schema
        if "$ref" in node:
            node = components[node["$ref"].rsplit("/", 1)[1]]
        out = set()
        for name, sub in node.get("properties", {}).items():
            out.add(prefix + name)
            target = sub.get("allOf", [sub])[0]
            if "$ref" in target and "properties" in components[target["$ref"].rsplit("/", 1)[1]]:
                out |= fields(target, f"{prefix}{name}.")
        return out

    for (method, path), probes in FIELD_PROBES.items():
        body = schema["paths"][path][method]["requestBody"]["content"]["application/json"]
        documented = fields(body["schema"])
        if (method, path) == CARD:
            documented -= {"payment_method.wallet", "payment_method.wallet.phone"}
        assert documented == set(probes), (method, path)


# --- state changes that are not allowed (again, or any more) ------------------------------------


def _post(client, url, body=None):
    return client.post(url, body or {}, format="json")


def _capture(world):
    _post(world.client, f"/api/v1/payments/{world['authorized']}/capture")
    return f"/api/v1/payments/{world['authorized']}"


def _cancel(world):
    _post(world.client, f"/api/v1/payments/{world['authorized']}/cancel")
    return f"/api/v1/payments/{world['authorized']}"


def _refund_all(world):
    _post(world.client, f"/api/v1/payments/{world['captured']}/refunds")
    return f"/api/v1/payments/{world['captured']}"


def _cancel_order(world):
    _post(world.client, f"/api/v1/orders/{world['order']}/cancel")
    return f"/api/v1/orders/{world['order']}"


def _disable_endpoint(world):
    url = f"/api/v1/webhook-endpoints/{world['endpoint']}"
    world.client.patch(url, {"enabled": False}, format="json")
    return url


def _finalize(world):
    _post(world.client, f"/api/v1/invoices/{world['invoice']}/finalize")
    return f"/api/v1/invoices/{world['invoice']}"


def _void(world):
    _post(world.client, f"/api/v1/invoices/{world['open_invoice']}/void")
    return f"/api/v1/invoices/{world['open_invoice']}"


STATE_CONFLICTS = {
    "finalize twice": (_finalize, "/finalize", None, 409, "invalid_state"),
    "void twice": (_void, "/void", None, 409, "invalid_state"),
    "credit a void invoice": (
        _void,
        "/credit-notes",
        {"amount": 1, "reason": "other"},
        409,
        "invalid_state",
    ),
    "send a void invoice": (_void, "/send", None, 409, "invalid_state"),
    "capture twice": (_capture, "/capture", None, 409, "invalid_state"),
    "cancel after capture": (_capture, "/cancel", None, 409, "invalid_state"),
    "refund after cancel": (_cancel, "/refunds", None, 409, "invalid_state"),
    "capture after cancel": (_cancel, "/capture", None, 409, "invalid_state"),
    "cancel twice": (_cancel, "/cancel", None, 409, "invalid_state"),
    "otp after cancel": (_cancel, "/otp", {"code": "123456"}, 409, "invalid_state"),
    "otp resend after cancel": (_cancel, "/otp/resend", None, 409, "invalid_state"),
    "refund beyond what is left": (
        _refund_all,
        "/refunds",
        {"amount": 1},
        400,
        "refund_amount_invalid",
    ),
    "cancel order twice": (_cancel_order, "/cancel", None, 409, "invalid_state"),
    "pay a canceled order": (
        _cancel_order,
        "/payments",
        {"payment_method": card_body()},
        409,
        "order_not_payable",
    ),
    "redeliver failed deliveries of a disabled endpoint": (
        _disable_endpoint,
        "/redeliver-failed",
        {"since": "2020-01-01T00:00:00Z"},
        409,
        "endpoint_disabled",
    ),
}


@pytest.mark.parametrize(
    ("setup", "action", "body", "status", "code"),
    STATE_CONFLICTS.values(),
    ids=list(STATE_CONFLICTS),
)
def test_a_change_the_state_does_not_allow_is_refused_clearly_and_writes_nothing(
    world, setup, action, body, status, code, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        base = setup(world)
    before = snapshot()

    response = _post(world.client, base + action, body)

    problem = assert_problem(response, status, code)
    assert "errors" not in problem or all(e["field"] for e in problem["errors"])
    assert snapshot() == before


def test_a_refund_beyond_what_is_left_names_the_amount_and_what_is_refundable(world):
    payment = world["captured"]  # 1000 captured
    _post(world.client, f"/api/v1/payments/{payment}/refunds", {"amount": 600})

    response = _post(world.client, f"/api/v1/payments/{payment}/refunds", {"amount": 500})

    problem = assert_problem(response, 400, "refund_amount_invalid", field="amount")
    assert "(400)" in problem["detail"]


@pytest.mark.parametrize("enabled", [True, False])
def test_webhook_endpoints_are_filtered_by_enabled_true_or_false(api, enabled):
    for flag in (True, False):
        body = {"url": "https://example.com/hooks", "enabled_events": ["*"], "enabled": flag}
        api.post("/api/v1/webhook-endpoints", body, format="json")

    response = api.get(f"/api/v1/webhook-endpoints?enabled={str(enabled).lower()}")

    assert [e["enabled"] for e in response.json()["data"]] == [enabled]


# --- the same change sent many times at once (PostgreSQL: real row locks) -----------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_simultaneous_captures_cancels_and_refunds_over_http_are_4xx_for_the_losers(
    merchant, assert_invariants
):
    """Over HTTP, the requests that lose a race get a clear 409 or 400, never a 500."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    from payments.services import order_create, payment_create
    from tests.api.conftest import _client_for
    from tests.conftest import VISA, card

    def paid(reference, **order_fields):
        order = order_create(
            merchant=merchant, amount=1000, currency="USD", reference=reference, **order_fields
        )
        return payment_create(order=order, method=card(VISA)).public_id

    def race(requests):
        clients = [_client_for(merchant) for _ in requests]
        barrier = threading.Barrier(len(requests))

        def run(i):
            url, body = requests[i]
            barrier.wait()
            try:
                return clients[i].post(url, body, format="json")
            finally:
                connection.close()

        with ThreadPoolExecutor(max_workers=len(requests)) as pool:
            return list(pool.map(run, range(len(requests))))

    authorized = paid("race-auth", capture_method="manual")
    captured = paid("race-captured")
    answers = race(
        [(f"/api/v1/payments/{authorized}/capture", {})] * 3
        + [(f"/api/v1/payments/{authorized}/cancel", {})] * 3
        + [(f"/api/v1/payments/{captured}/refunds", {"amount": 300})] * 6
    )

    state_changes, refunds = answers[:6], answers[6:]
    assert sorted(r.status_code for r in state_changes) == [200, 409, 409, 409, 409, 409]
    for loser in (r for r in answers if r.status_code >= 400):
        assert loser["Content-Type"].startswith(PROBLEM)
        assert loser.json()["code"] in ("invalid_state", "refund_amount_invalid")
    assert sorted(r.status_code for r in refunds) == [201, 201, 201, 400, 400, 400]
    assert_invariants()


@pytest.mark.parametrize(
    "url", ["/api/v1/orders", "/api/v1/orders/ord_x", "/api/v1/settlements/stl_x/report.csv"]
)
@pytest.mark.parametrize("fmt", ["xml", "api", "pdf", "%00"])
def test_a_format_the_api_does_not_serve_is_406_not_a_404(api, url, fmt):
    response = api.get(f"{url}?format={fmt}")

    assert_problem(response, 406, "not_acceptable")


@pytest.mark.parametrize(
    ("kind", "extra"),
    [
        ("wallet", "card"),
        ("bank_transfer", "card"),
        ("bank_transfer", "wallet"),
        ("card", "wallet"),
    ],
)
def test_details_of_another_method_than_the_type_are_400_naming_them(world, kind, extra):
    method = {"type": kind, "card": card_body()["card"], "wallet": {"phone": "+15555550100"}}
    for name in {"card", "wallet"} - {kind, extra}:
        del method[name]
    url = world.url(CARD)
    before = snapshot()

    response = world.client.post(url, {"payment_method": method}, format="json")

    problem = assert_problem(response, 400, "validation_failed", field=f"payment_method.{extra}")
    assert [e["field"] for e in problem["errors"]] == [f"payment_method.{extra}"]
    assert snapshot() == before


# --- files of dispute evidence (multipart) ------------------------------------------------------

EVIDENCE = ("post", "/api/v1/disputes/{dispute_id}/evidence")
PDF_BYTES = b"%PDF-1.4\n%%EOF\n"


def _file(name, content, content_type="application/pdf"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type=content_type)


@pytest.mark.parametrize(
    ("fields", "field", "code"),
    [
        ({"files": [_file("a.pdf", b"<html></html>")]}, "files.0", "file_type_unsupported"),
        ({"files": [_file("a.svg", b"<svg onload=alert(1)>", "image/png")]}, "files.0", None),
        ({"files": [_file("a.pdf", b"")]}, "files.0", "file_empty"),
        (
            {"files": [_file("a.pdf", PDF_BYTES), _file("b.pdf", b"\x00" * 8)]},
            "files.1",
            "file_type_unsupported",
        ),
        ({"files": [_file("a.pdf", PDF_BYTES) for _ in range(11)]}, "files", "too_many_files"),
        ({"files": "not a file"}, "files", "unknown_field"),
        ({"attachment": _file("a.pdf", PDF_BYTES)}, "attachment", "unknown_field"),
        ({"uncategorized_text": "nul \x00 byte"}, "uncategorized_text", None),
        ({"uncategorized_text": "x" * 20_001}, "uncategorized_text", "max_length"),
        ({"no_such_field": "x"}, "no_such_field", "unknown_field"),
    ],
    ids=lambda v: repr(v)[:40],
)
def test_hostile_evidence_uploads_are_400_naming_the_field_and_store_nothing(
    world, fields, field, code
):
    from risk.models import DisputeEvidenceFile

    url = world.url(EVIDENCE)
    before = snapshot(), DisputeEvidenceFile.objects.count()

    response = world.client.post(url, fields, format="multipart")

    problem = assert_problem(response, 400, "validation_failed", field=field)
    if code:
        assert code in [e["code"] for e in problem["errors"]], problem
    assert (snapshot(), DisputeEvidenceFile.objects.count()) == before


def test_an_evidence_file_over_5_mb_is_400(world):
    big = PDF_BYTES + b"0" * (5 * 1024 * 1024)

    response = world.client.post(
        world.url(EVIDENCE), {"files": [_file("big.pdf", big)]}, format="multipart"
    )

    assert_problem(response, 400, "validation_failed", field="files.0")


def test_a_multipart_body_beyond_ten_files_of_5_mb_is_413_before_it_is_read(world, monkeypatch):
    import risk.api.views

    monkeypatch.setattr(risk.api.views, "MAX_UPLOAD_BODY", 1000)
    body = {"files": [_file("a.pdf", PDF_BYTES + b"0" * 2000)]}

    response = world.client.post(world.url(EVIDENCE), body, format="multipart")

    assert_problem(response, 413, "payload_too_large")


@pytest.mark.parametrize(
    "content_type",
    ["multipart/form-data", "multipart/form-data; boundary=", "multipart/form-data; boundary=\x00"],
)
def test_a_multipart_body_without_a_usable_boundary_is_400(world, content_type):
    from risk.models import DisputeEvidenceFile

    response = world.client.generic(
        "POST", world.url(EVIDENCE), b"--x\r\n\r\n--x--\r\n", content_type=content_type
    )

    assert_problem(response, 400, "malformed_request")
    assert not DisputeEvidenceFile.objects.exists()
