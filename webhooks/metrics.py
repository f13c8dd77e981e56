"""The webhooks' metrics (see ``backoffice.metrics``): recorded by the services."""

from __future__ import annotations

from backoffice.metrics import counter, histogram

ATTEMPTS = counter(
    "webhook_attempts_total",
    "Webhook delivery attempts by result (succeeded; retrying and failed are failures) and the "
    "endpoint's state after it (healthy, failing, disabled).",
    ["result", "endpoint_state"],
)
LAG = histogram(
    "webhook_delivery_lag_seconds",
    "From an event's creation to the first attempt to deliver it to an endpoint.",
    buckets=(0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600),
)


def attempt_recorded(*, result: str, endpoint, attempt, event_created) -> None:
    """Count one recorded attempt; time the first attempt of a delivery from its event."""
    if endpoint is None or not endpoint.enabled:
        state = "disabled"
    else:
        state = "failing" if endpoint.failing_since is not None else "healthy"
    ATTEMPTS.inc(result=result, endpoint_state=state)
    if attempt.number == 1 and event_created is not None:
        LAG.observe(max(0.0, (attempt.started_at - event_created).total_seconds()))
