"""One batch at a time per endpoint, and a circuit breaker: a slow or failing receiver holds up
only its own deliveries.

A batch claims its endpoint (``claimed_until``) before claiming deliveries; a task finding the
endpoint claimed leaves its delivery to the batch that runs, which sends a task for the next due
delivery of the endpoint once it is over. After ``WEBHOOKS_CIRCUIT_FAILURES`` failed attempts in a
row the circuit opens: the endpoint's deliveries are held (no request, no retry step used) for
``WEBHOOKS_CIRCUIT_COOLOFF``, then one batch tries again; a success closes it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q

from ..models import WebhookEndpoint


def endpoint_claim(*, endpoint: WebhookEndpoint, until: datetime, now: datetime) -> bool:
    """Claim the endpoint for one batch until ``until``; return False if another batch holds it
    or its circuit is open (one conditional UPDATE, no lock held beyond it)."""
    if endpoint.circuit_open_until is not None and endpoint.circuit_open_until > now:
        return False
    free = Q(claimed_until__isnull=True) | Q(claimed_until__lte=now)
    closed = Q(circuit_open_until__isnull=True) | Q(circuit_open_until__lte=now)
    claimed = WebhookEndpoint.objects.filter(free, closed, pk=endpoint.pk).update(
        claimed_until=until
    )
    return bool(claimed)


def endpoint_release(
    *, endpoint_pk: int, failures_before: int, succeeded: int, failed: int, now: datetime
) -> datetime | None:
    """Release the endpoint after its batch; count failures in a row (a success resets them) and
    open the circuit once there are enough. Return when the circuit closes again if it opened."""
    failures = failed if succeeded else failures_before + failed
    open_until = None
    if failed and failures >= settings.WEBHOOKS_CIRCUIT_FAILURES:
        open_until = now + settings.WEBHOOKS_CIRCUIT_COOLOFF
    WebhookEndpoint.objects.filter(pk=endpoint_pk).update(
        claimed_until=None, consecutive_failures=failures, circuit_open_until=open_until
    )
    return open_until


def claim_duration(*, deliveries: int, concurrency: int) -> timedelta:
    """Return how long a batch of ``deliveries`` may take: each round of ``concurrency`` requests
    within four timeouts, plus the two transactions."""
    rounds = -(-deliveries // concurrency)
    return timedelta(seconds=rounds * 4 * settings.WEBHOOKS_TIMEOUT + 30)
