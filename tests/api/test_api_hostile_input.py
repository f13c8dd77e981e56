"""Hostile and malformed input through HTTP, endpoint by endpoint: a clear 4xx, never a 500.

Every refusal is an ``application/problem+json`` document naming its ``code`` (and the field,
where one is at fault), and a refused request writes nothing.
"""

import pytest

from tests.api.conftest import card_body
from tests.api.hostile_kit import CARD, LIST_URLS, PROBLEM, _cursor, assert_problem, snapshot
from tests.conftest import event_deliveries

pytestmark = pytest.mark.django_db


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
