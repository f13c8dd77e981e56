"""Hostile and malformed input through HTTP, endpoint by endpoint: a clear 4xx, never a 500.

Every refusal is an ``application/problem+json`` document naming its ``code`` (and the field,
where one is at fault), and a refused request writes nothing.
"""

import base64
from urllib.parse import quote, urlencode

import pytest

from tests.api.conftest import card_body

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"

LIST_URLS = [
    "/api/v1/orders",
    "/api/v1/payments",
    "/api/v1/refunds",
    "/api/v1/events",
    "/api/v1/settlements",
    "/api/v1/webhook-endpoints",
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
    from payments.models import Payment, Refund, WebhookEndpoint

    order = create_order(capture_method="manual")
    payment = pay_order(order["id"], card_body()).json()
    before = (Payment.objects.get().status, Refund.objects.count(), WebhookEndpoint.objects.count())

    response = api.post(url.format(payment=payment["id"]), body, format="json")

    assert_problem(response, 400, "validation_failed", field=unknown)
    after = (Payment.objects.get().status, Refund.objects.count(), WebhookEndpoint.objects.count())
    assert after == before


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
    from payments.models import WebhookEndpoint

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
    from payments.models import Event, WebhookEndpoint
    from payments.tasks import webhook_deliver_task
    from payments.webhooks import deliveries_create_for_event

    created = api.post(
        "/api/v1/webhook-endpoints",
        {"url": "https://example.com/hooks", "enabled_events": ["*"]},
        format="json",
    ).json()
    WebhookEndpoint.objects.filter(public_id=created["id"]).update(url=url)
    order = create_order()
    event = Event.objects.get(object_id=order["id"], type="order.created")
    (delivery,) = deliveries_create_for_event(event_pk=event.pk)

    webhook_deliver_task(delivery.pk)

    attempt = delivery.attempts.get()
    assert attempt.error.startswith("Refused:") and attempt.status_code is None
