"""Attempts: claim due deliveries, POST them signed, record each outcome and its retry.

A delivery task attempts its own delivery together with up to ``DELIVERY_BATCH - 1`` other due
deliveries of the same endpoint, in two transactions (claim, record) with the requests between
them, outside any lock, sent concurrently. Each delivery keeps its own attempt row, signature,
outcome and retry schedule; the queued tasks of the others then find nothing due.
"""

from __future__ import annotations

import contextvars
import json
import logging
import os
import random
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from payments.representations import event_data

from .. import metrics, transport
from ..models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from ..signing import endpoint_secrets, headers_sign
from .circuit import claim_duration, endpoint_claim, endpoint_release
from .deliveries import ACTIVE, delivery_enqueue, delivery_lock
from .endpoints import webhook_endpoint_disable

logger = logging.getLogger(__name__)

#: Seconds to wait before each retry; one attempt, then one retry per entry, then give up.
RETRY_SCHEDULE: tuple[int, ...] = (5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 10 * 3600)
#: Each scheduled wait is stretched or shrunk by up to this fraction, so retries spread out.
RETRY_JITTER = 0.1
#: No retry is scheduled after a failed attempt made this long after the delivery's first
#: failure: the schedule's length with its jitter, however long the waits a receiver's
#: ``Retry-After`` asked for (which only ever lengthen a wait).
RETRY_WINDOW = timedelta(seconds=sum(RETRY_SCHEDULE) * (1 + RETRY_JITTER))
#: Statuses whose ``Retry-After`` header is honoured.
RETRY_AFTER_STATUSES = frozenset({429, 502, 503, 504})
#: A task may run this early (clock skew between hosts) and still find its delivery due.
DUE_TOLERANCE = timedelta(seconds=2)
#: A delivery task attempts at most this many due deliveries of its endpoint (its own first),
#: their requests concurrently: the queued tasks of the others then find nothing to do.
DELIVERY_BATCH = 32
# Requests of a batch in flight at once: a merchant's endpoint sees at most this many concurrent
# requests per worker process, however long the batch.
DELIVERY_CONCURRENCY = 8

_ATTEMPT_RESULT_FIELDS = (
    "finished_at",
    "status_code",
    "latency_ms",
    "response_body",
    "error",
    "succeeded",
    "retry_in",
)
_DELIVERY_RESULT_FIELDS = (
    "status",
    "schedule_step",
    "retries_end_at",
    "next_attempt_at",
    "completed_at",
    "last_status_code",
    "last_error",
    "updated",
)


@dataclass(frozen=True)
class AttemptResult:
    """What an attempt did: ``outcome`` is one of ``succeeded``, ``retrying``, ``failed``, or
    ``skipped`` (nothing due, already done, or gone); ``retry_in`` in seconds."""

    outcome: str
    retry_in: int | None = None
    attempt: WebhookAttempt | None = None


@dataclass
class _Claim:
    """One claimed attempt, ready to send: its rows (as claimed), and the signed request."""

    delivery: WebhookDelivery
    attempt: WebhookAttempt
    url: str
    body: bytes
    headers: dict


@dataclass
class _Batch:
    """The endpoint of a batch being recorded, and why a failure in it disabled the endpoint."""

    endpoint: WebhookEndpoint | None
    disable_reason: str = ""


def retry_after_seconds(value: str | None, *, now: datetime) -> int | None:
    """Return a ``Retry-After`` header (seconds or an HTTP date) in whole seconds, or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return int(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    return max(0, int((when - now).total_seconds() + 0.999))


def retry_delay(*, step: int, retry_after: int | None = None) -> int:
    """Return the seconds to wait before retry ``step`` (0-based) of ``RETRY_SCHEDULE``.

    The scheduled wait, with jitter. A receiver's ``Retry-After`` (at most the schedule's
    longest wait) only moves the retry later, never earlier: a receiver answering ``429`` with
    ``Retry-After: 30`` forever gets the schedule's 8 attempts over about 28 hours, neither 8
    attempts in minutes nor one every 30 seconds for a day.
    """
    base = RETRY_SCHEDULE[step]
    scheduled = max(1, round(base * random.uniform(1 - RETRY_JITTER, 1 + RETRY_JITTER)))  # noqa: S311
    if retry_after is None:
        return scheduled
    return max(scheduled, min(retry_after, max(RETRY_SCHEDULE)))


def delivery_attempt(*, delivery_pk: int) -> AttemptResult:
    """Make this one delivery's next attempt if it is due; record it; schedule a retry or give up.

    Safe to run twice or concurrently: the row lock and the claimed ``next_attempt_at`` let one
    run make the attempt; the other (or a run for a finished delivery) returns ``skipped``. The
    HTTP request is made outside the lock.
    """
    return endpoint_batch_attempt(delivery_pk=delivery_pk, batch=1)


def endpoint_batch_attempt(*, delivery_pk: int, batch: int | None = None) -> AttemptResult:
    """Attempt the delivery if it is due, together with up to ``batch - 1`` (default
    ``DELIVERY_BATCH``) other due deliveries of the same endpoint, oldest due first; return the
    result of ``delivery_pk`` itself.

    Each delivery of the batch is attempted exactly as ``delivery_attempt`` would: the batch
    only shares the two transactions (claim, record) and the endpoint's secrets, and its
    requests run concurrently, so it takes about as long as its slowest attempt. Other
    deliveries are taken with ``SKIP LOCKED``: two batches never wait for each other.
    """
    now = timezone.now()
    # Unlocked look first: most tasks of a busy endpoint find their delivery already taken by a
    # batch, and this answers them without a transaction.
    if not _looks_due(delivery_pk, now):
        return AttemptResult("skipped")
    more = (batch or DELIVERY_BATCH) - 1
    claims, result = _claim(delivery_pk=delivery_pk, now=now, more=more)
    if not claims:
        return result
    outcomes = _post_all(claims)
    results = _attempts_record(claims, outcomes)
    _endpoint_next(claims[0].delivery.endpoint)
    return results[0]


def _endpoint_next(endpoint: WebhookEndpoint) -> None:
    """Hand the endpoint on: send a task for its oldest due delivery (those whose task found the
    endpoint claimed), when its circuit lets one through."""
    now = timezone.now()
    pk = (
        WebhookDelivery.objects.filter(_due(now), endpoint_id=endpoint.pk)
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)
        .first()
    )
    if pk is not None:
        held = endpoint.circuit_open_until
        wait = int((held - now).total_seconds()) + 1 if held and held > now else None
        delivery_enqueue(pk, countdown=wait)


def _due(now: datetime) -> Q:
    return Q(status__in=ACTIVE) & (
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now + DUE_TOLERANCE)
    )


def _looks_due(delivery_pk: int, now: datetime) -> bool:
    return WebhookDelivery.objects.filter(_due(now), pk=delivery_pk).exists()


def _is_due(delivery: WebhookDelivery, now: datetime) -> bool:
    next_at = delivery.next_attempt_at
    return delivery.status in ACTIVE and not (next_at and next_at > now + DUE_TOLERANCE)


def _claim(*, delivery_pk: int, now: datetime, more: int) -> tuple[list[_Claim], AttemptResult]:
    """Claim the delivery's attempt and up to ``more`` others of its endpoint; sign them."""
    with transaction.atomic():
        delivery = delivery_lock(delivery_pk)
        if delivery is None or not _is_due(delivery, now):
            return [], AttemptResult("skipped")
        endpoint = delivery.endpoint
        if not endpoint.enabled:
            delivery.fail()
            delivery.last_error = f"Endpoint disabled: {endpoint.disabled_reason}"[:500]
            delivery.next_attempt_at, delivery.completed_at = None, now
            delivery.save()
            return [], AttemptResult("failed")
        # One batch per endpoint at a time: another batch running (or an open circuit) leaves
        # this delivery due, for the batch that runs to hand on when it is over.
        longest = now + claim_duration(deliveries=more + 1, concurrency=DELIVERY_CONCURRENCY)
        if not endpoint_claim(endpoint=endpoint, until=longest, now=now):
            return [], AttemptResult("skipped")
        deliveries = [delivery, *_others_due(delivery, now=now, limit=more)]
        # Claim the attempts: a duplicate task finds them not due until the requests must be over.
        claimed_until = now + claim_duration(
            deliveries=len(deliveries), concurrency=DELIVERY_CONCURRENCY
        )
        WebhookDelivery.objects.filter(pk__in=[d.pk for d in deliveries]).update(
            attempt_count=F("attempt_count") + 1, next_attempt_at=claimed_until, updated=now
        )
        attempts = []
        for d in deliveries:
            d.attempt_count += 1
            d.next_attempt_at, d.updated = claimed_until, now
            attempts.append(
                WebhookAttempt(delivery=d, number=d.attempt_count, started_at=now, url=endpoint.url)
            )
        WebhookAttempt.objects.bulk_create(attempts)
        signing_secrets = endpoint_secrets(endpoint, now=now)
    claims = []
    for d, attempt in zip(deliveries, attempts, strict=True):
        body = json.dumps(event_data(d.event), separators=(",", ":"), ensure_ascii=False).encode()
        headers = headers_sign(
            secrets_=signing_secrets,
            msg_id=d.event.public_id,
            timestamp=int(now.timestamp()),
            body=body,
        )
        claims.append(_Claim(d, attempt, endpoint.url, body, headers))
    return claims, AttemptResult("skipped")


def _others_due(delivery: WebhookDelivery, *, now: datetime, limit: int) -> list:
    """Lock up to ``limit`` other due deliveries of the delivery's endpoint, skipping locked ones."""
    if limit <= 0:
        return []
    others = list(
        WebhookDelivery.objects.select_for_update(of=("self",), skip_locked=True)
        .select_related("event")
        .filter(
            endpoint_id=delivery.endpoint_id,
            status__in=ACTIVE,
            next_attempt_at__lte=now + DUE_TOLERANCE,
        )
        .exclude(pk=delivery.pk)
        .order_by("next_attempt_at", "pk")[:limit]
    )
    for other in others:
        other.endpoint = delivery.endpoint
    return others


_pool_lock = threading.Lock()
_pool: tuple[tuple[int, int], ThreadPoolExecutor] | None = None


def _post_pool() -> ThreadPoolExecutor:
    """Return this process's threads for a batch's requests (a forked child makes its own)."""
    global _pool
    with _pool_lock:
        if _pool is None or _pool[0] != (os.getpid(), DELIVERY_CONCURRENCY):
            _pool = (
                (os.getpid(), DELIVERY_CONCURRENCY),
                ThreadPoolExecutor(
                    max_workers=DELIVERY_CONCURRENCY, thread_name_prefix="webhook-post"
                ),
            )
        return _pool[1]


def _post_claim(claim: _Claim) -> transport.HttpOutcome:
    return transport.post(claim.url, body=claim.body, headers=claim.headers)


def _post_all(claims: list[_Claim]) -> list[transport.HttpOutcome]:
    """Send the batch's requests, concurrently (one slow answer does not hold up the others).

    Each runs in a copy of the task's context: its log lines keep the request id, its span
    the trace.
    """
    if len(claims) == 1:
        return [_post_claim(claims[0])]
    contexts = [contextvars.copy_context() for _ in claims]
    return list(_post_pool().map(lambda ctx, claim: ctx.run(_post_claim, claim), contexts, claims))


def _is_success(status_code: int | None) -> bool:
    return status_code is not None and 200 <= status_code < 300


def _attempts_record(
    claims: list[_Claim], outcomes: list[transport.HttpOutcome]
) -> list[AttemptResult]:
    """Record each attempt's outcome and move its delivery on; return results in claim order.

    Successes are applied first: a batch with a 2xx among its failures clears the endpoint's
    ``failing_since`` before any failure could count towards disabling it.
    """
    now = timezone.now()
    results: list[AttemptResult | None] = [None] * len(claims)
    logged = []
    with transaction.atomic():
        locked = {
            d.pk: d
            for d in WebhookDelivery.objects.select_for_update(of=("self",))
            .select_related("endpoint")
            .filter(pk__in=[c.delivery.pk for c in claims])
            .order_by("pk")
        }
        # The endpoint as read with the deliveries, unlocked: deliveries to one endpoint do not
        # queue behind its row, which is written only when failing_since must change.
        batch = _Batch(endpoint=next(iter(locked.values())).endpoint if locked else None)
        attempts, deliveries = [], []
        order = sorted(range(len(claims)), key=lambda i: not _is_success(outcomes[i].status_code))
        for i in order:
            attempt, outcome = claims[i].attempt, outcomes[i]
            _attempt_fill(attempt, outcome, now=now)
            delivery = locked.get(claims[i].delivery.pk)
            if delivery is None:
                results[i] = AttemptResult("skipped", attempt=attempt)
                continue
            result, retry_in = _delivery_advance(delivery, attempt, outcome, batch=batch, now=now)
            attempts.append(attempt)
            deliveries.append(delivery)
            results[i] = AttemptResult(result, retry_in=retry_in, attempt=attempt)
            metrics.attempt_recorded(
                result=result,
                endpoint=batch.endpoint,
                attempt=attempt,
                event_created=claims[i].delivery.event.created,
            )
            logged.append(
                (
                    delivery.public_id,
                    attempt.number,
                    result,
                    attempt.status_code,
                    attempt.latency_ms,
                )
            )
        WebhookAttempt.objects.bulk_update(attempts, _ATTEMPT_RESULT_FIELDS)
        WebhookDelivery.objects.bulk_update(deliveries, _DELIVERY_RESULT_FIELDS)
        endpoint = claims[0].delivery.endpoint
        endpoint.circuit_open_until = endpoint_release(
            endpoint_pk=endpoint.pk,
            failures_before=endpoint.consecutive_failures,
            succeeded=sum(_is_success(o.status_code) for o in outcomes),
            failed=sum(not _is_success(o.status_code) for o in outcomes),
            now=now,
        )
    for entry in logged:
        logger.info("webhook delivery %s attempt %s: %s (status %s, %s ms)", *entry)
    return results


def _attempt_fill(
    attempt: WebhookAttempt, outcome: transport.HttpOutcome, *, now: datetime
) -> None:
    succeeded = _is_success(outcome.status_code)
    error = outcome.error or ("" if succeeded else f"HTTP {outcome.status_code}")
    attempt.finished_at = now
    attempt.status_code = outcome.status_code
    attempt.latency_ms = outcome.latency_ms
    attempt.response_body = outcome.body
    attempt.error = error[:500]
    attempt.succeeded = succeeded


def _delivery_advance(
    delivery: WebhookDelivery,
    attempt: WebhookAttempt,
    outcome: transport.HttpOutcome,
    *,
    batch: _Batch,
    now: datetime,
) -> tuple[str, int | None]:
    """Move the delivery on after its attempt; return the result and seconds to the retry.

    A delivery finished meanwhile (a concurrent redelivery) keeps its outcome: ``skipped``.
    """
    endpoint = batch.endpoint
    delivery.endpoint = endpoint
    delivery.last_status_code, delivery.last_error = outcome.status_code, attempt.error
    delivery.updated = now
    active = delivery.status in ACTIVE
    if attempt.succeeded:
        _endpoint_recovered(endpoint, now=now)
        if not active:
            return "skipped", None
        delivery.succeed()
        delivery.next_attempt_at, delivery.completed_at = None, now
        return "succeeded", None
    disable_reason = _endpoint_failed(endpoint, attempt, now=now)
    if disable_reason:
        batch.disable_reason = disable_reason
    if not active:
        return "skipped", None
    # The rest of a batch whose failure disabled the endpoint fails with it.
    if (
        batch.disable_reason
        or delivery.schedule_step >= len(RETRY_SCHEDULE)
        or (delivery.retries_end_at is not None and now >= delivery.retries_end_at)
    ):
        delivery.fail()
        delivery.next_attempt_at, delivery.completed_at = None, now
        return "failed", None
    code = outcome.status_code
    honoured = (
        retry_after_seconds(outcome.retry_after, now=now) if code in RETRY_AFTER_STATUSES else None
    )
    # Every retry uses a step of the schedule; a Retry-After may only lengthen its wait.
    retry_in = retry_delay(step=delivery.schedule_step, retry_after=honoured)
    delivery.schedule_retry()
    delivery.schedule_step += 1
    if delivery.retries_end_at is None:
        delivery.retries_end_at = now + RETRY_WINDOW
    delivery.next_attempt_at = now + timedelta(seconds=retry_in)
    attempt.retry_in = retry_in
    delivery_enqueue(delivery.pk, countdown=retry_in)
    return "retrying", retry_in


def _endpoint_recovered(endpoint: WebhookEndpoint, *, now: datetime) -> None:
    """Clear ``failing_since`` after a success (a conditional UPDATE: no lock if already clear)."""
    if endpoint.failing_since is not None:
        WebhookEndpoint.objects.filter(pk=endpoint.pk, failing_since__isnull=False).update(
            failing_since=None, updated=now
        )
        endpoint.failing_since = None


def _endpoint_failed(endpoint: WebhookEndpoint, attempt: WebhookAttempt, *, now: datetime) -> str:
    """Note a failed attempt on the endpoint; disable it if it must be, and return why ("" if
    it stays enabled)."""
    if endpoint.failing_since is None and WebhookEndpoint.objects.filter(
        pk=endpoint.pk, failing_since__isnull=True
    ).update(failing_since=attempt.started_at, updated=now):
        endpoint.failing_since = attempt.started_at
    reason = _disable_reason(endpoint=endpoint, status_code=attempt.status_code, now=now)
    if reason:
        endpoint.enabled = webhook_endpoint_disable(endpoint_pk=endpoint.pk, reason=reason).enabled
    return reason


def _disable_reason(*, endpoint: WebhookEndpoint, status_code: int | None, now: datetime) -> str:
    if not endpoint.enabled:
        return ""
    if status_code == 410:
        return f"The endpoint answered 410 Gone on {now:%Y-%m-%d %H:%M} UTC."
    limit = settings.WEBHOOKS_DISABLE_AFTER
    if endpoint.failing_since is not None and endpoint.failing_since <= now - limit:
        return (
            f"Every delivery failed since {endpoint.failing_since:%Y-%m-%d %H:%M} UTC "
            f"({limit.days} days or more)."
        )
    return ""
