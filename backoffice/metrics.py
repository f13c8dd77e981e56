"""Prometheus metrics that never break the work they count.

Each app declares its metrics in its own ``metrics.py`` with ``counter`` and ``histogram`` and
records them in its services. A failure to record (a full disk under
``PROMETHEUS_MULTIPROC_DIR``, a wrong label) is logged once and otherwise ignored: a payment
never fails for a metric. The values live in this process, or, with ``PROMETHEUS_MULTIPROC_DIR``
set before the process starts, in files every process of the host shares; ``/metrics`` reads them.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import prometheus_client

logger = logging.getLogger(__name__)

#: Seconds: from a fast API call to a slow settlement run.
DEFAULT_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900)

_failed: set[str] = set()


def _failure(name: str) -> None:
    if name not in _failed:
        _failed.add(name)
        logger.warning("metric %s could not be recorded", name, exc_info=True)


class Counter:
    """A counter with labels; ``inc(**labels)`` never raises."""

    def __init__(self, name: str, documentation: str, labelnames: Sequence[str] = ()) -> None:
        self.name = name
        self._metric = prometheus_client.Counter(name, documentation, tuple(labelnames))

    def inc(self, amount: float = 1, **labels: str) -> None:
        try:
            (self._metric.labels(**labels) if labels else self._metric).inc(amount)
        except Exception:  # noqa: BLE001 - see the module docstring
            _failure(self.name)


class Histogram:
    """A histogram with labels; ``observe`` and ``time`` never raise."""

    def __init__(
        self,
        name: str,
        documentation: str,
        labelnames: Sequence[str] = (),
        buckets: Sequence[float] = DEFAULT_BUCKETS,
    ) -> None:
        self.name = name
        self._metric = prometheus_client.Histogram(
            name, documentation, tuple(labelnames), buckets=tuple(buckets)
        )

    def observe(self, value: float, **labels: str) -> None:
        try:
            (self._metric.labels(**labels) if labels else self._metric).observe(value)
        except Exception:  # noqa: BLE001 - see the module docstring
            _failure(self.name)

    @contextmanager
    def time(self, **labels: str) -> Iterator[None]:
        """Observe how long the block took, whether it returned or raised."""
        started = time.perf_counter()
        try:
            yield
        finally:
            self.observe(time.perf_counter() - started, **labels)


def counter(name: str, documentation: str, labelnames: Sequence[str] = ()) -> Counter:
    return Counter(name, documentation, labelnames)


def histogram(
    name: str,
    documentation: str,
    labelnames: Sequence[str] = (),
    buckets: Sequence[float] = DEFAULT_BUCKETS,
) -> Histogram:
    return Histogram(name, documentation, labelnames, buckets)


SWEEP_FOUND = counter(
    "sweep_found_total",
    "Work a sweep found in the database and sent again because its message was lost or late. "
    "Any increase is worth a look: the broker or a worker lost work.",
    ["sweep"],
)


def sweep_found(*, sweep: str, count: int) -> None:
    """Count the ``count`` pieces of lost work the sweep named ``sweep`` found."""
    if count:
        SWEEP_FOUND.inc(count, sweep=sweep)
