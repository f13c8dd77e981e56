"""The settlement's metrics (see ``backoffice.metrics``): recorded by the services."""

from __future__ import annotations

from backoffice.metrics import histogram

RUN_DURATION = histogram(
    "settlement_run_duration_seconds",
    "How long a settlement run took (closing the batches of one cut-off).",
    buckets=(0.1, 0.5, 1, 5, 10, 30, 60, 120, 300, 600, 1200, 1800, 3600),
)
