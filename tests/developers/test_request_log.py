"""The request log: every merchant API request, found by its request id, bodies redacted."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from developers.models import RequestLog
from developers.services import request_logs_prune
from institutions.catalogue import SEED_ACCOUNTS
from payments.models import Payment
from tests.api.conftest import card_body

pytestmark = pytest.mark.django_db


def test_a_request_with_a_bad_field_is_found_by_its_request_id_with_the_problem_code(api):
    response = api.post(
        "/api/v1/orders",
        {"amount": "ten", "currency": "USD", "reference": "r-1"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="bad-field-1",
    )
    assert response.status_code == 400
    request_id = response["X-Request-Id"]

    found = api.get(f"/api/v1/request-logs?request_id={request_id}").json()["data"]

    assert len(found) == 1
    log = found[0]
    assert (log["method"], log["path"], log["status"]) == ("POST", "/api/v1/orders", 400)
    assert log["code"] == "validation_failed"
    assert log["idempotency_key"] == "bad-field-1"
    assert log["replayed"] is False
    assert log["response_body"]["code"] == "validation_failed"
    assert log["response_body"]["errors"][0]["field"] == "amount"
    assert log["request_body"]["reference"] == "r-1"
    assert api.raw_key.startswith(log["key_prefix"])
    assert api.raw_key not in json.dumps(log)


def test_a_replayed_request_is_logged_as_replayed(api):
    body = {"amount": 1000, "currency": "USD", "reference": "replayed"}
    for _ in range(2):
        api.post("/api/v1/orders", body, format="json", HTTP_IDEMPOTENCY_KEY="k-replay")

    logs = RequestLog.objects.filter(idempotency_key="k-replay").order_by("id")

    assert [log.replayed for log in logs] == [False, True]
    assert logs[1].response_body["id"] == logs[0].response_body["id"]


def _values(value):
    if isinstance(value, dict):
        for key, item in value.items():
            yield key, item
            yield from _values(item)
    elif isinstance(value, list):
        for item in value:
            yield from _values(item)


def test_no_card_number_or_cvc_is_stored_after_every_sandbox_card_was_used(
    api, create_order, pay_order
):
    numbers = [a.pan for a in SEED_ACCOUNTS if a.kind == "card"]
    for number in numbers:
        order = create_order()
        method = card_body(number)
        method["card"]["cvc"] = "7391" if number.startswith(("34", "37")) else "739"
        pay_order(order["id"], method)

    logs = list(RequestLog.objects.filter(path__endswith="/payments"))
    assert len(logs) == len(numbers)
    stored = json.dumps([[log.request_body, log.response_body] for log in logs])
    for number in numbers:
        assert number not in stored
        assert f"{number[:6]} {number[6:]}" not in stored
    cards = [body["payment_method"]["card"] for body in (log.request_body for log in logs)]
    assert {card["number"] for card in cards} == {"[card number]"}
    assert {card["cvc"] for card in cards} == {"[removed]"}
    assert not any(
        key == "cvc" and value not in ("[removed]",)
        for key, value in _values([log.request_body for log in logs])
    )
    assert '"739"' not in stored and '"7391"' not in stored


def test_an_otp_code_is_not_stored(api, create_order, pay_order, sandbox_otp_code):
    order = create_order()
    payment = pay_order(order["id"], card_body("4000000000003220")).json()
    code = sandbox_otp_code(Payment.objects.get(public_id=payment["id"]))

    api.get(f"/api/v1/sandbox/otp-messages?payment={payment['id']}")
    api.post(f"/api/v1/payments/{payment['id']}/otp", {"code": code}, format="json")

    log = RequestLog.objects.get(path=f"/api/v1/payments/{payment['id']}/otp")
    assert log.request_body == {"code": "[removed]"}
    assert log.status == 200
    assert code not in json.dumps(
        [[r.request_body, r.response_body] for r in RequestLog.objects.all()]
    )


def test_the_request_log_lists_only_the_keys_merchant(api, other_api, create_order):
    create_order()
    other_api.get("/api/v1/orders")

    mine = api.get("/api/v1/request-logs").json()["data"]
    theirs = other_api.get("/api/v1/request-logs").json()["data"]

    assert {log["path"] for log in mine} >= {"/api/v1/orders"}
    assert all(log["method"] == "GET" for log in theirs)
    assert {log["request_id"] for log in mine}.isdisjoint({log["request_id"] for log in theirs})


def test_the_request_log_filters_by_status_path_and_time(api, create_order):
    order = create_order()
    api.get("/api/v1/orders/ord_missing")
    api.get(f"/api/v1/orders/{order['id']}")

    missing = api.get("/api/v1/request-logs?status=404").json()["data"]
    touching = api.get(f"/api/v1/request-logs?path={order['id']}").json()["data"]
    future = api.get("/api/v1/request-logs?created[gte]=2999-01-01T00:00:00Z").json()["data"]

    assert [(log["path"], log["code"]) for log in missing] == [
        ("/api/v1/orders/ord_missing", "resource_missing")
    ]
    assert [log["path"] for log in touching] == [f"/api/v1/orders/{order['id']}"]
    assert future == []


def test_a_request_without_a_valid_key_is_not_logged(client):
    client.get("/api/v1/orders", HTTP_AUTHORIZATION="Bearer sk_test_nope")

    assert not RequestLog.objects.exists()


def test_a_failure_to_write_the_log_does_not_fail_the_request(api, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("database gone")

    monkeypatch.setattr("developers.middleware.request_log_write", broken)

    response = api.post(
        "/api/v1/orders", {"amount": 1000, "currency": "USD", "reference": "x"}, format="json"
    )

    assert response.status_code == 201


def test_logs_older_than_the_retention_are_pruned_in_batches(api, settings):
    settings.DEVELOPERS_REQUEST_LOG_RETENTION_DAYS = 30
    for _ in range(5):
        api.get("/api/v1/orders")
    old = timezone.now() - timedelta(days=31)
    RequestLog.objects.filter(
        pk__in=list(RequestLog.objects.values_list("pk", flat=True)[:3])
    ).update(created=old)

    deleted = request_logs_prune(batch=2)

    assert deleted == 3
    assert RequestLog.objects.count() == 2
    assert not RequestLog.objects.filter(created__lte=old).exists()


def test_the_prune_task_is_on_beat(settings):
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}

    assert "developers.tasks.request_logs_prune_task" in tasks


def test_a_webhook_secret_is_not_stored(api):
    response = api.post(
        "/api/v1/webhook-endpoints",
        {"url": "https://example.com/hooks", "enabled_events": ["order.paid"]},
        format="json",
    )
    secret = response.json()["secret"]

    log = RequestLog.objects.get(path="/api/v1/webhook-endpoints")
    assert log.response_body["secret"] == "[removed]"
    assert secret not in json.dumps(log.response_body)
    assert secret[len("whsec_") :] not in json.dumps(log.response_body)


@pytest.mark.parametrize(
    "raw", [b'{"amount": NaN}', b'{"a": "\\u0000"}', b'{"a": "\\udc00"}', b"\xff\xfe", b"{"]
)
def test_a_body_a_json_column_refuses_is_still_logged(api, raw):
    response = api.generic("POST", "/api/v1/orders", raw, content_type="application/json")

    log = RequestLog.objects.get(request_id=response["X-Request-Id"])
    assert log.status == 400
    assert log.code in ("malformed_request", "validation_failed")
    assert "\x00" not in json.dumps(log.request_body, ensure_ascii=False)
