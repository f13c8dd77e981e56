"""Traces: one trace from the API request through its tasks to the webhook attempt."""

import os
import subprocess
import sys

from django.conf import settings as django_settings


def test_one_trace_runs_from_the_request_through_the_tasks_to_the_webhook(spans, payment_run):
    used = payment_run()  # its API client is made after the instrumentation

    finished = spans()
    pay = [
        s
        for s in finished
        if s.kind.name == "SERVER" and s.attributes.get("http.route", "").endswith("/payments")
    ]
    assert len(pay) == 1, [s.name for s in finished]
    trace_id = pay[0].context.trace_id
    in_trace = [s for s in finished if s.context.trace_id == trace_id]
    names = {s.name for s in in_trace}
    assert any("deliveries_send_task" in n for n in names), names
    assert any("webhook_deliver_task" in n for n in names), names
    webhook_posts = [
        s
        for s in in_trace
        if s.kind.name == "CLIENT"
        and s.attributes.get("http.request.method", s.attributes.get("http.method")) == "POST"
    ]
    assert webhook_posts, names
    # Each span's parent is in the same trace: the context was passed on, not restarted.
    ids = {s.context.span_id for s in in_trace}
    assert all(s.parent is None or s.parent.span_id in ids for s in in_trace)
    assert used["received"] >= 4


def test_tracing_is_off_and_not_imported_without_an_endpoint(tmp_path):
    script = (
        "import sys, merchant_portal.wsgi;"
        "print(sorted(m for m in sys.modules if m.startswith('opentelemetry')))"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    env.update(DJANGO_SETTINGS_MODULE="merchant_portal.settings", VAR_DIR=str(tmp_path))
    out = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        cwd=django_settings.BASE_DIR,
        env=env,
    )

    assert out.stdout.strip() == "[]"


def test_tracing_is_set_up_once_per_process(settings, monkeypatch):
    from merchant_portal import tracing

    settings.OTEL_EXPORTER_OTLP_ENDPOINT = "http://127.0.0.1:4318"
    calls = []
    monkeypatch.setattr(tracing, "instrument", calls.append)
    monkeypatch.setattr(tracing, "_set_up_in", None)
    monkeypatch.setattr("opentelemetry.trace.set_tracer_provider", lambda provider: None)

    assert tracing.tracing_setup("web") and tracing.tracing_setup("web")
    assert len(calls) == 1
