"""Authentication, problem details and hostile input through HTTP: never a 500."""

import pytest
from rest_framework.test import APIClient

from payments.services import api_key_create, api_key_revoke

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


def _assert_problem(response, status, code):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith(PROBLEM)
    body = response.json()
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"] and body["title"] and body["detail"]
    return body


def test_missing_api_key_is_401_problem():
    response = APIClient().get("/api/v1/orders")

    _assert_problem(response, 401, "authentication_required")
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "header",
    [
        "Bearer sk_test_not-a-real-key",
        "Bearer pk_test_wrongprefix",
        "Basic dXNlcjpwYXNz",
        "Bearer",
        "Bearer two parts",
    ],
)
def test_invalid_api_key_is_401_problem(header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)

    _assert_problem(client.get("/api/v1/orders"), 401, "invalid_api_key")


def test_revoked_api_key_is_401(merchant):
    key, raw = api_key_create(merchant=merchant)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert client.get("/api/v1/orders").status_code == 200

    api_key_revoke(key=key)

    _assert_problem(client.get("/api/v1/orders"), 401, "invalid_api_key")


def test_unknown_object_is_404_problem(api):
    _assert_problem(api.get("/api/v1/orders/ord_doesnotexist"), 404, "resource_missing")


@pytest.mark.parametrize(
    "raw",
    [
        b"{not json",
        b'{"amount": 10',
        b"\xff\xfe\x00",
        b'{"amount": NaN, "currency": "USD", "reference": "x"}',
        b'{"reference": "a\\u0000b", "amount": 100, "currency": "USD"}',
        b'{"reference": "\\ud800", "amount": 100, "currency": "USD"}',
        b"[" * 5000 + b"]" * 5000,
        b'{"amount": 1' + b"0" * 5000 + b"}",
    ],
)
def test_malformed_json_is_400_problem(api, raw):
    response = api.post("/api/v1/orders", raw, content_type="application/json")

    _assert_problem(response, 400, "malformed_request")


@pytest.mark.parametrize(
    "body",
    [[], [1, 2], "text", 42, None, True, {"amount": {"nested": 1}}, {"metadata": [1]}],
)
def test_wrong_shapes_are_400_validation_problems(api, body):
    response = api.post("/api/v1/orders", body, format="json")

    problem = _assert_problem(response, 400, "validation_failed")
    assert problem["errors"]


def test_form_encoded_body_is_415(api):
    response = api.post("/api/v1/orders", {"amount": "100"}, format="multipart")

    _assert_problem(response, 415, "unsupported_media_type")


def test_method_not_allowed_is_405_problem(api):
    _assert_problem(api.delete("/api/v1/orders"), 405, "method_not_allowed")


@pytest.mark.parametrize(
    "amount",
    [10.0, 10.5, "1000", "10.00", -5, 0, True, None, 2**64, [100], {"value": 100}],
)
def test_amount_must_be_a_positive_json_integer(api, amount):
    response = api.post(
        "/api/v1/orders", {"amount": amount, "currency": "USD", "reference": "r"}, format="json"
    )

    problem = _assert_problem(response, 400, "validation_failed")
    assert [e["field"] for e in problem["errors"]] == ["amount"]


def test_field_errors_list_every_field_with_its_path(api):
    response = api.post(
        "/api/v1/orders",
        {"amount": "x", "currency": "US", "customer_email": "nope", "capture_method": "later"},
        format="json",
    )

    problem = _assert_problem(response, 400, "validation_failed")
    fields = {e["field"] for e in problem["errors"]}
    assert fields == {"amount", "currency", "reference", "customer_email", "capture_method"}
    assert all(e["code"] and e["message"] for e in problem["errors"])


def test_unicode_and_nul_in_path_and_query_are_not_errors(api):
    assert api.get("/api/v1/orders/ord_%E2%9C%93%F0%9F%92%B3").status_code == 404
    assert api.get("/api/v1/orders/ord_%00x").status_code == 404
    assert api.get("/api/v1/orders?reference=%00").status_code == 400
    assert api.get("/api/v1/orders?reference=%E2%9C%93").status_code == 200


@pytest.mark.parametrize(
    "query",
    [
        "status=bogus",
        "created[gte]=yesterday",
        "created_before=2024-13-45",
        "cursor=garbage",
        "limit=0",
        "limit=abc",
        "limit=%C2%B2",
        "limit=" + "9" * 5000,
    ],
)
def test_bad_list_parameters_are_400(api, query):
    response = api.get(f"/api/v1/orders?{query}")

    _assert_problem(response, 400, "validation_failed")


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("created_before=1457-08-25T14:16:57-17:22", 200),
        ("created[gte]=3009-08-26T10:50:18.8598%2B22:42", 200),
        ("created[gte]=0001-01-01T00:00:00%2B10:00", 400),
    ],
)
def test_times_with_extreme_offsets_are_compared_in_utc(api, query, status):
    assert api.get(f"/api/v1/orders?{query}").status_code == status


def test_requests_beyond_the_rate_are_429_per_key(api, other_api, settings):
    from django.core.cache import cache

    cache.clear()
    settings.PAYMENTS_API_THROTTLE_RATE = "3/min"
    for _ in range(3):
        assert api.get("/api/v1/orders").status_code == 200

    response = api.get("/api/v1/orders")

    _assert_problem(response, 429, "rate_limited")
    assert int(response["Retry-After"]) > 0
    assert other_api.get("/api/v1/orders").status_code == 200
    cache.clear()


def test_unexpected_error_is_a_generic_500_problem(api, monkeypatch, caplog):
    from payments import selectors

    def broken(**kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(selectors, "order_get", broken)

    response = api.get("/api/v1/orders/ord_x")

    body = _assert_problem(response, 500, "internal_error")
    assert "secret" not in body["detail"]
