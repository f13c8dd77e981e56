"""The served OpenAPI schema, the docs page, and a schemathesis contract run against the API."""

import re

import pytest
import schemathesis
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from rest_framework.test import APIClient
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

# Not serial any more: the contract tests' ``checks`` parameter gives each its own node id, so
# pytest-xdist (which once ran 1 of 98 of them, all under one id) runs them in its processes.
pytestmark = pytest.mark.django_db


def test_schema_documents_every_endpoint_with_bodies_and_errors():
    response = APIClient().get("/api/v1/schema?format=json")

    assert response.status_code == 200
    schema = response.json()
    paths = schema["paths"]
    for path in [
        "/api/v1/orders",
        "/api/v1/orders/{order_id}",
        "/api/v1/orders/{order_id}/cancel",
        "/api/v1/orders/{order_id}/payments",
        "/api/v1/payments",
        "/api/v1/payments/{payment_id}",
        "/api/v1/payments/{payment_id}/otp",
        "/api/v1/payments/{payment_id}/otp/resend",
        "/api/v1/payments/{payment_id}/capture",
        "/api/v1/payments/{payment_id}/cancel",
        "/api/v1/payments/{payment_id}/refunds",
        "/api/v1/refunds",
        "/api/v1/refunds/{refund_id}",
        "/api/v1/events",
        "/api/v1/events/{event_id}",
        "/api/v1/sandbox/otp-messages",
        "/api/v1/sandbox/bank-transfers",
    ]:
        assert path in paths, path
    create = paths["/api/v1/orders"]["post"]
    assert create["responses"]["201"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/OrderOutput"
    )
    assert "application/problem+json" in create["responses"]["400"]["content"]
    assert "422" in create["responses"] and "409" in create["responses"]
    assert any(p["name"] == "Idempotency-Key" for p in create["parameters"])
    listing = {p["name"] for p in paths["/api/v1/orders"]["get"]["parameters"]}
    assert {"status", "reference", "created[gte]", "created[lte]", "cursor", "limit"} <= listing
    amount = schema["components"]["schemas"]["OrderCreateInput"]["properties"]["amount"]
    assert amount["type"] == "integer" and amount["minimum"] == 1
    assert schema["components"]["securitySchemes"]["ApiKeyAuth"]["scheme"] == "bearer"


def test_schema_generates_without_warnings(tmp_path):
    from django.core.management import call_command

    call_command("spectacular", "--fail-on-warn", "--validate", "--file", str(tmp_path / "s.yaml"))

    import yaml

    schemas = yaml.safe_load((tmp_path / "s.yaml").read_text())["components"]["schemas"]
    reference = schemas["OrderCreateInput"]["properties"]["reference"]
    assert reference["type"] == "string" and "enum" not in reference and "allOf" not in reference


def test_docs_page_loads_only_same_origin_scripts_under_the_strict_csp(client):
    response = client.get("/api/v1/docs")

    assert response.status_code == 200
    html = response.content.decode()
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "<script>" not in html  # no inline script: the start-up script has its own URL
    scripts = re.findall(r'<script src="([^"]+)"', html)
    assert scripts and all(src.startswith("/") for src in scripts)
    nonce = re.search(r'<style nonce="([^"]+)"', html).group(1)
    assert f"'nonce-{nonce}'" in csp
    init = client.get(scripts[-1].replace("&amp;", "&"))
    assert init.status_code == 200
    assert "/api/v1/schema" in init.content.decode()


def _served_schema():
    from merchant_portal.wsgi import application

    return schemathesis.openapi.from_wsgi("/api/v1/schema?format=json", application)


schema = _served_schema()


@pytest.fixture
def _test_connection_kept():
    """Keep the test's database connection across WSGI requests, as Django's test client does.

    The WSGI handler closes connections at the end of each request; inside the test's
    transaction on PostgreSQL that would drop the connection the test runs in.
    """
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def api_key(merchant):
    from payments.services import api_key_create

    return api_key_create(merchant=merchant)[1]


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]


@schema.parametrize()
# The checks as a parameter give each operation's test its own node id (pytest 9 builds it from
# the parameters, and schemathesis then names the operation in it), which pytest-xdist needs.
@pytest.mark.parametrize("checks", [CHECKS], ids=["checks"])
@pytest.mark.usefixtures("_test_connection_kept")
@hypothesis_settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_api_conforms_to_its_schema(case, checks, api_key, settings):
    settings.PAYMENTS_API_THROTTLE_RATE = "100000/s"
    case.call_and_validate(headers={"Authorization": f"Bearer {api_key}"}, checks=checks)
