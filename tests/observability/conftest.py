"""Fixtures of the observability tests: a webhook receiver, an API client, a full payment run."""

import io
import logging

import pytest
from rest_framework.test import APIClient

from tests.webhooks.conftest import make_endpoint, receiver  # noqa: F401 - fixtures

OTP_CARD = "4000000000003220"
CVC = "919"


@pytest.fixture
def api(merchant):
    """A client with the merchant's test key (``api.raw_key``)."""
    from payments.services import api_key_create

    _, raw = api_key_create(merchant=merchant, livemode=False)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    client.raw_key = raw
    return client


@pytest.fixture
def json_logs():
    """Every log line, as the production handler writes it (JSON), at DEBUG: call it for the
    lines written so far."""
    from merchant_portal.log_format import JsonFormatter

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield lambda: stream.getvalue().splitlines()
    root.removeHandler(handler)
    root.setLevel(level)


@pytest.fixture
def payment_run(api, make_endpoint, receiver, django_capture_on_commit_callbacks):  # noqa: F811
    """Run a card payment with an OTP step, a refund and their webhooks through the API; return
    what was used and answered: card, codes, key, secret, request ids per call."""

    def call(method, url, body=None):
        with django_capture_on_commit_callbacks(execute=True):
            response = getattr(api, method)(url, body, format="json")
        assert response.status_code < 300, response.content
        return response

    def run() -> dict:
        _, secret = make_endpoint()
        ids = {}
        order = call(
            "post", "/api/v1/orders", {"amount": 1500, "currency": "USD", "reference": "o-1"}
        )
        ids["order"] = order["X-Request-Id"]
        card = {"number": OTP_CARD, "exp_month": 12, "exp_year": 2035, "cvc": CVC}
        card["holder_name"] = "Ada Lovelace"
        paid = call(
            "post",
            f"/api/v1/orders/{order.json()['id']}/payments",
            {"payment_method": {"type": "card", "card": card}},
        )
        ids["pay"] = paid["X-Request-Id"]
        payment_id = paid.json()["id"]
        assert paid.json()["status"] == "requires_action"
        inbox = api.get(f"/api/v1/sandbox/otp-messages?payment={payment_id}").json()
        code = inbox["data"][0]["code"]
        verified = call("post", f"/api/v1/payments/{payment_id}/otp", {"code": code})
        ids["otp"] = verified["X-Request-Id"]
        assert verified.json()["status"] == "captured"
        refund = call("post", f"/api/v1/payments/{payment_id}/refunds", {"amount": 500})
        ids["refund"] = refund["X-Request-Id"]
        return {
            "pan": OTP_CARD,
            "cvc": CVC,
            "otp": code,
            "api_key": api.raw_key,
            "secret": secret,
            "request_ids": ids,
            "received": len(receiver.requests),
        }

    return run


@pytest.fixture
def spans():
    """Instrument as tracing_setup does, into an in-memory exporter; return its spans."""
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from merchant_portal.tracing import instrument, uninstrument

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    instrument(provider)
    yield exporter.get_finished_spans
    uninstrument()
    provider.shutdown()
