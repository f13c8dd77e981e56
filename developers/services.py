"""Developer support: the log of merchant API requests (written by
``developers.middleware.RequestLogMiddleware``, one INSERT per request, pruned by beat), the
request-log API, and the integration guides served at ``/docs/``.
"""

from __future__ import annotations

import json
import logging
import math
from contextlib import nullcontext
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from backoffice.client_ip import client_ip
from backoffice.redaction import redact_data
from payments.models import ApiKey

from .models import RequestLog

logger = logging.getLogger(__name__)

#: Bodies larger than this are stored as a note, not in full.
MAX_BODY_CHARS = 16_000
PRUNE_BATCH = 5_000


def _storable(value):
    """Return ``value`` with what a JSON column refuses replaced: NUL characters, lone
    surrogates (PostgreSQL's jsonb takes neither), NaN and the infinities."""
    if isinstance(value, dict):
        return {_storable(str(k)): _storable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_storable(v) for v in value]
    if isinstance(value, str):
        return value.encode("utf-8", "replace").decode("utf-8").replace("\x00", "")
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


def _stored_body(value):
    if value is None or value == "":
        return None
    value = _storable(redact_data(value))
    if len(json.dumps(value, default=str)) > MAX_BODY_CHARS:
        return {"truncated": True}
    return value


def _problem_code(status: int, body) -> str:
    if status >= 400 and isinstance(body, dict) and isinstance(body.get("code"), str):
        return body["code"][:64]
    return ""


def request_log_write(*, request, response, **bodies) -> RequestLog | None:
    """Insert the log row of an API request answered with ``response``; return None for a
    request without a valid API key (no merchant to file it under).

    One INSERT in autocommit, after the view's own transaction is over (inside a savepoint
    only when the caller holds a transaction open, so that a refused row cannot break it).
    """
    key = getattr(request, "auth", None)
    if not isinstance(key, ApiKey):
        return None
    status = response.status_code
    with transaction.atomic() if connection.in_atomic_block else nullcontext():
        return _insert(request=request, response=response, key=key, status=status, **bodies)


def _insert(*, request, response, key, status, duration_ms, request_body, response_body):
    return RequestLog.objects.create(
        merchant_id=key.merchant_id,
        livemode=key.livemode,
        method=request.method[:8],
        path=_storable(request.path)[:255],
        status=status,
        code=_problem_code(status, response_body),
        request_id=(getattr(request, "request_id", "") or "")[:128],
        idempotency_key=_storable((request.headers.get("Idempotency-Key") or "").strip())[:255],
        replayed=response.get("Idempotent-Replayed") == "true",
        key_prefix=key.prefix,
        duration_ms=max(duration_ms, 0),
        source_ip=client_ip(request),
        request_body=_stored_body(request_body),
        response_body=_stored_body(response_body),
    )


def request_logs_prune(*, now=None, batch: int = PRUNE_BATCH) -> int:
    """Delete request logs older than ``DEVELOPERS_REQUEST_LOG_RETENTION_DAYS``, ``batch`` rows
    per statement (no long lock on the table); return how many were deleted."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.DEVELOPERS_REQUEST_LOG_RETENTION_DAYS)
    deleted = 0
    while True:
        pks = list(
            RequestLog.objects.filter(created__lt=cutoff)
            .order_by("created")
            .values_list("pk", flat=True)[:batch]
        )
        if not pks:
            return deleted
        deleted += RequestLog.objects.filter(pk__in=pks).delete()[0]
