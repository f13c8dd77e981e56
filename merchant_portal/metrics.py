"""``/metrics``: the Prometheus text format, for every process of the host.

Counters and histograms are recorded where the work is done (``<app>/metrics.py``, through
``backoffice.metrics``). With ``PROMETHEUS_MULTIPROC_DIR`` set (before any process starts, to
the same directory for the gunicorn workers and the Celery workers of a host) each process
writes its values into files there and this view adds them up; unset, it reports this process
only (``make run``'s single web process). Two values are computed on scrape, each at most
once per interval and never on the request path: the ledger's imbalance and the queue depths.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.http import Http404, HttpResponse
from django.utils.crypto import constant_time_compare
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily

from backoffice.metrics import counter, histogram

logger = logging.getLogger(__name__)

HTTP_REQUESTS = counter(
    "http_requests_total",
    "HTTP requests answered, by method, route and status.",
    ["method", "route", "status"],
)
HTTP_LATENCY = histogram(
    "http_request_duration_seconds",
    "Time to answer an HTTP request, by method and route.",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)

#: Seconds a queue-depth reading may take before the scrape goes on without it.
QUEUE_DEPTH_TIMEOUT = 1.0
_broker_reads = ThreadPoolExecutor(max_workers=1, thread_name_prefix="metrics-queues")


class _Cached:
    """A value computed at most once per ``interval`` seconds (per process)."""

    def __init__(self, compute) -> None:
        self.compute = compute
        self.at: float | None = None
        self.value = None

    def get(self, interval: float):
        now = time.monotonic()
        if self.at is None or now - self.at >= interval:
            self.value, self.at = self.compute(), now
        return self.value


def _ledger_imbalance() -> dict[str, int] | None:
    from ledger.selectors import ledger_imbalance

    try:
        return ledger_imbalance()
    except Exception:  # noqa: BLE001 - a scrape reports what it can; logged
        logger.warning("metrics: the ledger could not be read", exc_info=True)
        return None


def _queue_depths() -> dict[str, int] | None:
    """Return the messages waiting in each of the app's queues, or None (best effort)."""
    from .celery import app

    if app.conf.task_always_eager:
        return {}  # tasks run inline: no queue

    def read() -> dict[str, int]:
        names = sorted(app.amqp.queues) or [app.conf.task_default_queue]
        with app.connection_for_read() as connection:
            channel = connection.default_channel
            return {
                name: channel.queue_declare(queue=name, passive=True).message_count
                for name in names
            }

    try:
        return _broker_reads.submit(read).result(timeout=QUEUE_DEPTH_TIMEOUT)
    except Exception as err:  # noqa: BLE001 - best effort; logged
        logger.warning("metrics: queue depth unavailable: %s", type(err).__name__)
        return None


_ledger = _Cached(_ledger_imbalance)
_queues = _Cached(_queue_depths)


class ScrapeCollector:
    """Gauges computed when scraped: the ledger's imbalance and the depth of each queue."""

    def describe(self):
        return []

    def collect(self):
        imbalance = _ledger.get(settings.METRICS_LEDGER_INTERVAL)
        if imbalance is not None:
            gauge = GaugeMetricFamily(
                "ledger_imbalance_minor_units",
                "Minor units by which journal entries fail to balance, per currency; must be 0.",
                labels=["currency"],
            )
            for currency, amount in sorted(imbalance.items()):
                gauge.add_metric([currency], amount)
            yield gauge
        depths = _queues.get(settings.METRICS_QUEUE_INTERVAL)
        if depths is not None:
            gauge = GaugeMetricFamily(
                "celery_queue_depth", "Messages waiting in each Celery queue.", labels=["queue"]
            )
            for name, depth in sorted(depths.items()):
                gauge.add_metric([name], depth)
            yield gauge


_scraped = CollectorRegistry(auto_describe=False)
_scraped.register(ScrapeCollector())


def exposition() -> bytes:
    """Return every metric in the Prometheus text format."""
    directory = settings.PROMETHEUS_MULTIPROC_DIR
    if directory:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=directory)
    else:
        registry = REGISTRY
    return generate_latest(registry) + generate_latest(_scraped)


def metrics(request):
    """The metrics, to ``Authorization: Bearer <METRICS_TOKEN>`` (401 otherwise). Without a
    token configured they are served openly to local runs and not at all in production (404)."""
    token = settings.METRICS_TOKEN
    if not token:
        if settings.PRODUCTION:
            raise Http404
    elif not constant_time_compare(request.headers.get("Authorization", ""), f"Bearer {token}"):
        response = HttpResponse("Unauthorized\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)
