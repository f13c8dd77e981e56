"""OpenTelemetry traces of requests, Celery tasks, PostgreSQL statements and webhook requests.

Off unless ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set: then each process sets tracing up once it is
the process that will do the work, after the fork (gunicorn's ``post_fork`` in gunicorn.conf.py
and the WSGI module it loads there, Celery's ``worker_process_init``): the exporter's thread and
connections are never shared by forked children. Off, nothing of OpenTelemetry is imported.

One trace runs from the API request through the tasks it causes to the webhook attempt: the
Celery instrumentation carries the context in each task message's headers, and the on-commit
sends run in the context of the request that registered them (``backoffice.on_commit``).
"""

from __future__ import annotations

import logging
import os

from django.conf import settings

logger = logging.getLogger(__name__)

_set_up_in: int | None = None  # the pid of the process tracing was set up in


def tracing_setup(role: str) -> bool:
    """Set tracing up in this process (``role``: web, worker) if an endpoint is configured;
    return whether it is on. Safe to call more than once."""
    global _set_up_in
    if not settings.OTEL_EXPORTER_OTLP_ENDPOINT:
        return False
    if _set_up_in == os.getpid():
        return True
    from opentelemetry import trace
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(
        resource=Resource.create(
            {"service.name": settings.OTEL_SERVICE_NAME, "service.instance.role": role}
        )
    )
    # The exporter reads OTEL_EXPORTER_OTLP_* (endpoint, headers, timeout) from the environment.
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    instrument(provider)
    _set_up_in = os.getpid()
    logger.info("tracing on (%s), exporting to %s", role, settings.OTEL_EXPORTER_OTLP_ENDPOINT)
    return True


def instrument(provider) -> None:
    """Instrument Django, Celery, psycopg and httpx to record spans with ``provider``."""
    from opentelemetry.instrumentation.celery import CeleryInstrumentor
    from opentelemetry.instrumentation.django import DjangoInstrumentor
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
    from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor

    DjangoInstrumentor().instrument(tracer_provider=provider)
    CeleryInstrumentor().instrument(tracer_provider=provider)
    # No SQL commenter: statements stay byte-identical, so prepared statements keep matching.
    PsycopgInstrumentor().instrument(tracer_provider=provider)
    HTTPXClientInstrumentor().instrument(tracer_provider=provider)


def uninstrument() -> None:
    """Undo ``instrument`` (tests)."""
    from opentelemetry.instrumentation.celery import CeleryInstrumentor
    from opentelemetry.instrumentation.django import DjangoInstrumentor
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
    from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor

    for instrumentor in (
        DjangoInstrumentor(),
        CeleryInstrumentor(),
        PsycopgInstrumentor(),
        HTTPXClientInstrumentor(),
    ):
        instrumentor.uninstrument()
