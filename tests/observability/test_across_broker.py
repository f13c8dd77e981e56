"""The request id and the trace of an API call cross a real broker: the Celery worker's task and
its webhook attempt log the request's id and carry on its trace, to the merchant's receiver."""

from __future__ import annotations

import gzip
import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.api.conftest import card_body
from tests.conftest import celery_worker_start, celery_worker_stop, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


class Collector:
    """An OTLP/HTTP trace collector on 127.0.0.1: keeps (trace id hex, span name, kind) of every
    span exported to it."""

    def __init__(self) -> None:
        from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
            ExportTraceServiceRequest,
        )

        self.spans: list[tuple[str, str, int]] = []
        collector = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - the http.server hook name
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                if self.headers.get("content-encoding") == "gzip":
                    body = gzip.decompress(body)
                request = ExportTraceServiceRequest()
                request.ParseFromString(body)
                for resource in request.resource_spans:
                    for scope in resource.scope_spans:
                        collector.spans += [(s.trace_id.hex(), s.name, s.kind) for s in scope.spans]
                self.send_response(200)
                self.send_header("content-type", "application/x-protobuf")
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, format, *args):  # noqa: A002
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def names_in(self, trace_id: str) -> set[str]:
        return {name for trace, name, _ in self.spans if trace == trace_id}


@pytest.fixture
def collector():
    server = Collector()
    yield server
    server.server.shutdown()
    server.server.server_close()


def _json_lines(path) -> list[dict]:
    lines = []
    for line in path.read_text(errors="replace").splitlines():
        if line.startswith("{"):
            try:
                lines.append(json.loads(line))
            except ValueError:
                pass
    return lines


def test_the_request_id_and_the_trace_cross_the_broker_to_the_task_and_the_webhook(
    transactional_db, spans, collector, api, make_endpoint, receiver, tmp_path
):
    from merchant_portal.celery import app

    make_endpoint(enabled_events=["order.paid"])
    app.conf.task_always_eager = False
    app.control.purge()
    log = tmp_path / "worker.log"
    env = {
        "LOG_FORMAT": "json",
        "OTEL_EXPORTER_OTLP_ENDPOINT": collector.url,
        "OTEL_BSP_SCHEDULE_DELAY": "100",  # milliseconds: export at once
    }
    worker = celery_worker_start(env=env, log=log)
    try:
        order = api.post(
            "/api/v1/orders",
            {"amount": 1200, "currency": "USD", "reference": uuid.uuid4().hex[:12]},
            format="json",
        )
        paid = api.post(
            f"/api/v1/orders/{order.json()['id']}/payments",
            {"payment_method": card_body()},
            format="json",
        )
        assert paid.status_code == 201, paid.content
        (webhook,) = wait_for(lambda: receiver.requests, timeout=30)
        request_id = paid["X-Request-Id"]
        (server_span,) = [
            s
            for s in spans()
            if s.kind.name == "SERVER" and s.attributes.get("http.route", "").endswith("payments")
        ]
        trace_id = f"{server_span.context.trace_id:032x}"
        wait_for(
            lambda: (
                {"webhooks.tasks.deliveries_send_task", "payments.tasks.webhook_deliver_task"}
                <= {n.split("/", 1)[-1] for n in collector.names_in(trace_id)}
                and any(k == 3 for t, _, k in collector.spans if t == trace_id)
            ),  # a CLIENT span
            timeout=20,
        )
    finally:
        celery_worker_stop(worker)
        app.conf.task_always_eager = True

    # The receiver's request carries the trace on (W3C traceparent: 00-<trace>-<span>-<flags>).
    assert webhook.headers["traceparent"].split("-")[1] == trace_id
    # The worker's lines of the tasks the request caused, and of its attempt, carry its id.
    lines = [line for line in _json_lines(log) if line.get("request_id") == request_id]
    tasks = {line.get("task") for line in lines}
    assert {"webhooks.tasks.deliveries_send_task", "payments.tasks.webhook_deliver_task"} <= tasks
    assert any(
        line["event"].startswith("webhook delivery whd_")
        and "attempt 1: succeeded" in line["event"]
        for line in lines
    ), lines
