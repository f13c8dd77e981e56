"""Latency statistics for the load generator and the report: exact percentiles of a sample."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence


def percentile(sorted_values: Sequence[float], q: float) -> float | None:
    """Return the nearest-rank ``q``-th percentile (0 < q <= 100) of an ascending sequence.

    Nearest rank never interpolates: the answer is always one of the measured values, so a p99
    of 100 samples is the 99th slowest, not a blend of the two slowest. ``None`` when empty.
    """
    if not 0 < q <= 100:
        raise ValueError("q must be in (0, 100]")
    if not sorted_values:
        return None
    rank = math.ceil(q / 100 * len(sorted_values))
    return sorted_values[max(rank, 1) - 1]


def summarize(latencies: Iterable[float]) -> dict[str, float | int | None]:
    """Return count, mean, min, p50, p90, p99 and max of latencies (seconds in, milliseconds out)."""
    values = sorted(latencies)
    if not values:
        return {
            "count": 0,
            "mean_ms": None,
            "min_ms": None,
            "p50_ms": None,
            "p90_ms": None,
            "p99_ms": None,
            "max_ms": None,
        }

    def ms(v: float | None) -> float | None:
        return None if v is None else round(v * 1000, 3)

    return {
        "count": len(values),
        "mean_ms": ms(sum(values) / len(values)),
        "min_ms": ms(values[0]),
        "p50_ms": ms(percentile(values, 50)),
        "p90_ms": ms(percentile(values, 90)),
        "p99_ms": ms(percentile(values, 99)),
        "max_ms": ms(values[-1]),
    }


def rate(count: int, seconds: float) -> float:
    """Return events per second, 0 for an empty window."""
    return count / seconds if seconds > 0 else 0.0
