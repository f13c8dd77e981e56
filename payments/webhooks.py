"""Events to merchants' webhook endpoints: signed, retried, recorded delivery by Celery.

A merchant registers endpoints (an HTTPS URL, the event types it wants or ``["*"]``). Every
recorded event gets one ``WebhookDelivery`` per enabled, subscribed endpoint of its merchant and
mode, and a ``webhook_deliver_task`` sent on commit. The task attempts its delivery together with
up to ``DELIVERY_BATCH`` other due deliveries of the same endpoint (two transactions per batch,
requests sent concurrently; each delivery keeps its own attempt, outcome and retries); the tasks
of those others then find nothing due. Each attempt POSTs
``representations.event_data(event)`` as JSON with the Standard Webhooks headers:

- ``webhook-id``: the event id, the same on every attempt and redelivery of the event;
- ``webhook-timestamp``: unix seconds of the attempt;
- ``webhook-signature``: ``v1,<base64 HMAC-SHA256 of "id.timestamp.body">`` keyed by the
  base64-decoded part of the ``whsec_`` secret; during a secret rotation one signature per
  valid secret, space-separated.

Delivery is at least once: a receiver may get the same event more than once (a retry after a
timeout it did answer, a redelivery) and must deduplicate by ``webhook-id``. Events of one object
carry an increasing ``sequence``; deliveries are not ordered.

Any 2xx answer is success, within ``WEBHOOKS_TIMEOUT`` (10 s) for the whole request, from
connecting to the answer's last byte kept (its first ``RESPONSE_BODY_LIMIT`` bytes, stored in
the attempt's log). Redirects are not followed (a 3xx is a failure). ``410 Gone``
disables the endpoint at once. Other answers and network errors are retried after about 5 s,
5 min, 30 min, 2 h, 5 h, 10 h and 10 h (with jitter; ``Retry-After`` of a 429/502/503/504 is
honoured within those bounds), then the delivery fails. An endpoint whose deliveries have all
failed for ``WEBHOOKS_DISABLE_AFTER`` (5 days) is disabled; ``disabled_reason`` says why.

Unless ``WEBHOOKS_ALLOW_PRIVATE_URLS`` is on, URLs must be https and must not resolve to private,
loopback, link-local, multicast, reserved or unspecified addresses: checked at registration and
again at each connection, which goes to the checked address (no DNS rebinding) while TLS and the
``Host`` header keep the URL's name.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
import logging
import os
import random
import secrets
import socket
import threading
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import httpcore
import httpx
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from .errors import InvalidTransition, NotFound, ValidationFailed
from .models import Event, Merchant, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from .representations import event_data
from .validation import FieldError
from .vault import secret_decrypt, secret_encrypt

logger = logging.getLogger(__name__)

#: Seconds to wait before each retry; one attempt, then one retry per entry, then give up.
RETRY_SCHEDULE: tuple[int, ...] = (5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 10 * 3600)
#: Each scheduled wait is stretched or shrunk by up to this fraction, so retries spread out.
RETRY_JITTER = 0.1
#: Statuses whose ``Retry-After`` header is honoured.
RETRY_AFTER_STATUSES = frozenset({429, 502, 503, 504})
RESPONSE_BODY_LIMIT = 1024
#: A task may run this early (clock skew between hosts) and still find its delivery due.
DUE_TOLERANCE = timedelta(seconds=2)
#: The sweep re-sends a due delivery whose task has not run this long after it was due.
LOST_TASK_GRACE = timedelta(minutes=2)
SWEEP_BATCH = 500
#: A delivery task attempts at most this many due deliveries of its endpoint (its own first),
#: their requests concurrently: the queued tasks of the others then find nothing to do.
DELIVERY_BATCH = 32
# Requests of a batch in flight at once: a merchant's endpoint sees at most this many concurrent
# requests per worker process, however long the batch.
DELIVERY_CONCURRENCY = 8
USER_AGENT = "MerchantPayments-Webhooks/1.0"

EVENT_TYPES: tuple[str, ...] = (
    "order.created",
    "order.paid",
    "order.canceled",
    "order.expired",
    "order.partially_refunded",
    "order.refunded",
    "payment.created",
    "payment.processing",
    "payment.requires_action",
    "payment.awaiting_transfer",
    "payment.authorized",
    "payment.captured",
    "payment.declined",
    "payment.canceled",
    "payment.expired",
    "payment.partially_refunded",
    "payment.refunded",
    "refund.created",
    "refund.succeeded",
    "refund.failed",
    "settlement.closed",
    "settlement.paid",
)


#: Endpoints a merchant may have per mode: each event is sent once per endpoint, so without a
#: bound one API key could turn every order into thousands of requests at any public address.
MAX_ENDPOINTS = 16

#: ``disabled_reason`` of an endpoint its merchant turned off (every other reason is ours).
DISABLED_BY_MERCHANT = "Disabled by the merchant."


class UnsafeWebhookUrl(Exception):
    """The URL may not be called: wrong scheme, or it resolves to a non-public address."""


# --- URL safety --------------------------------------------------------------------------------


def address_is_public(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Return True if ``ip`` is a globally routable unicast address (IPv4-mapped unwrapped)."""
    if isinstance(ip, ipaddress.IPv6Address):
        for embedded in (ip.ipv4_mapped, ip.sixtofour):
            if embedded is not None and not address_is_public(embedded):
                return False
        if ip.teredo is not None:
            return False
    return not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global
    )


def addresses_resolve(host: str, port: int) -> list[str]:
    """Return the addresses ``host`` resolves to, refusing non-public ones unless allowed.

    Every address must be public: a name with one private address among public ones is refused.
    Raise ``UnsafeWebhookUrl`` for a refused or unresolvable name.
    """
    host = host.strip("[]")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnsafeWebhookUrl(f"The host name could not be resolved ({exc}).") from None
    addresses: list[str] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        if sockaddr[0] not in addresses:
            addresses.append(sockaddr[0])
    if not addresses:
        raise UnsafeWebhookUrl("The host name could not be resolved.")
    if not settings.WEBHOOKS_ALLOW_PRIVATE_URLS:
        for address in addresses:
            if not address_is_public(ipaddress.ip_address(address.split("%", 1)[0])):
                raise UnsafeWebhookUrl(
                    "The URL resolves to a private, loopback, link-local, multicast or reserved "
                    "address; webhooks are only sent to public addresses."
                )
    return addresses


def _url_problems(url: str) -> str | None:
    """Return why ``url`` cannot be registered (shape and scheme only), or None."""
    if len(url) > 2000:
        return "A URL has at most 2000 characters."
    if any(char.isspace() or not char.isprintable() for char in url):
        # Would be refused by the HTTP client at every delivery (or, CR LF, inject a header).
        return "A URL may not contain spaces or control characters."
    try:
        parts = urlsplit(url)
        port = parts.port
        # The client that sends must take it too: an IDNA host name it cannot encode or
        # decode would fail every delivery.
        host = httpx.URL(url).host
    except (ValueError, httpx.InvalidURL):  # IDNAError is a ValueError
        return "Enter a valid URL."
    allowed = ("https", "http") if settings.WEBHOOKS_ALLOW_PRIVATE_URLS else ("https",)
    if parts.scheme not in allowed:
        return "The URL must use https." if len(allowed) == 1 else "The URL must use https or http."
    if not parts.hostname or not host:
        return "Enter a valid URL."
    if parts.username is not None or parts.password is not None:
        return "The URL must not carry a user name or password."
    if parts.fragment:
        return "The URL must not have a #fragment."
    if port == 0:
        return "Enter a valid URL."
    return None


def url_validate(url: str) -> str:
    """Return ``url`` if it may receive webhooks; raise ``ValidationFailed`` (field ``url``)."""
    url = (url or "").strip()
    problem = _url_problems(url) if url else "A URL is required."
    if problem is None and not settings.WEBHOOKS_ALLOW_PRIVATE_URLS:
        parts = urlsplit(url)
        try:
            addresses_resolve(parts.hostname, parts.port or 443)
        except UnsafeWebhookUrl as exc:
            problem = str(exc)
    if problem:
        raise ValidationFailed([FieldError("url", "invalid_url", problem)])
    return url


def events_validate(enabled_events) -> list[str]:
    """Return the de-duplicated event types; raise ``ValidationFailed`` for unknown ones."""
    if not isinstance(enabled_events, list | tuple) or not enabled_events:
        raise ValidationFailed(
            [FieldError("enabled_events", "required", 'List event types, or ["*"] for all.')]
        )
    out: list[str] = []
    for item in enabled_events:
        if not isinstance(item, str) or (item != "*" and item not in EVENT_TYPES):
            raise ValidationFailed(
                [
                    FieldError(
                        "enabled_events", "invalid_event_type", f"Unknown event type {item!r}."
                    )
                ]
            )
        if item not in out:
            out.append(item)
    return ["*"] if "*" in out else out


# --- secrets and signatures --------------------------------------------------------------------


def secret_generate() -> str:
    """Return a new signing secret: ``whsec_`` and the base64 of 32 random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def signature_compute(*, secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """Return the Standard Webhooks ``v1,<base64>`` signature of one message."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{msg_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def endpoint_secrets(endpoint: WebhookEndpoint, *, now: datetime | None = None) -> list[str]:
    """Return the secrets that sign now: the current one, and the previous during rotation."""
    now = now or timezone.now()
    found = [secret_decrypt(endpoint.secret_encrypted, context=endpoint.public_id)]
    if (
        endpoint.previous_secret_encrypted
        and endpoint.previous_secret_expires_at
        and endpoint.previous_secret_expires_at > now
    ):
        found.append(secret_decrypt(endpoint.previous_secret_encrypted, context=endpoint.public_id))
    return found


def headers_sign(*, secrets_: Iterable[str], msg_id: str, timestamp: int, body: bytes) -> dict:
    """Return the Standard Webhooks headers of one attempt."""
    signatures = " ".join(
        signature_compute(secret=s, msg_id=msg_id, timestamp=timestamp, body=body) for s in secrets_
    )
    return {
        "content-type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signatures,
    }


# --- endpoints ---------------------------------------------------------------------------------


@transaction.atomic
def webhook_endpoint_create(
    *,
    merchant: Merchant,
    livemode: bool,
    url: str,
    enabled_events: list[str],
    description: str = "",
    enabled: bool = True,
) -> tuple[WebhookEndpoint, str]:
    """Register an endpoint; return it and its signing secret, which is shown only this once."""
    errors: list[FieldError] = []
    for check in (lambda: url_validate(url), lambda: events_validate(enabled_events)):
        try:
            check()
        except ValidationFailed as exc:
            errors += exc.errors
    if len(description or "") > 500:
        errors.append(FieldError("description", "too_long", "At most 500 characters."))
    if errors:
        raise ValidationFailed(errors)
    endpoint_limit_check(merchant=merchant, livemode=livemode)
    secret = secret_generate()
    endpoint = WebhookEndpoint(
        merchant=merchant,
        livemode=livemode,
        url=url.strip(),
        enabled_events=events_validate(enabled_events),
        description=description or "",
        enabled=enabled,
    )
    endpoint.secret_encrypted = secret_encrypt(secret, context=endpoint.public_id)
    endpoint.save()
    logger.info("webhook endpoint %s created for merchant %s", endpoint.public_id, merchant.pk)
    return endpoint, secret


def endpoint_limit_check(*, merchant: Merchant, livemode: bool) -> None:
    """Raise ``InvalidTransition`` if the merchant has ``MAX_ENDPOINTS`` endpoints in the mode."""
    if WebhookEndpoint.objects.filter(merchant=merchant, livemode=livemode).count() >= (
        MAX_ENDPOINTS
    ):
        raise InvalidTransition(
            f"A merchant has at most {MAX_ENDPOINTS} webhook endpoints per mode; delete one "
            "first (one endpoint may receive every event type).",
            code="endpoint_limit_reached",
        )


def _endpoint_lock(endpoint_pk: int) -> WebhookEndpoint:
    endpoint = WebhookEndpoint.objects.select_for_update().filter(pk=endpoint_pk).first()
    if endpoint is None:
        raise NotFound("No such webhook endpoint.")
    return endpoint


_UNSET = object()


@transaction.atomic
def webhook_endpoint_update(
    *,
    endpoint: WebhookEndpoint,
    url=_UNSET,
    enabled_events=_UNSET,
    enabled=_UNSET,
    description=_UNSET,
) -> WebhookEndpoint:
    """Change the given fields; enabling a disabled endpoint clears why it was disabled, and a
    new URL clears ``failing_since``."""
    endpoint = _endpoint_lock(endpoint.pk)
    errors: list[FieldError] = []
    if url is not _UNSET:
        try:
            new_url = url_validate(url)
        except ValidationFailed as exc:
            errors += exc.errors
        else:
            if new_url != endpoint.url:
                # The old address's failures say nothing of the new one: its 5 days start anew.
                endpoint.failing_since = None
            endpoint.url = new_url
    if enabled_events is not _UNSET:
        try:
            endpoint.enabled_events = events_validate(enabled_events)
        except ValidationFailed as exc:
            errors += exc.errors
    if description is not _UNSET:
        if len(description or "") > 500:
            errors.append(FieldError("description", "too_long", "At most 500 characters."))
        endpoint.description = description or ""
    if enabled is not _UNSET:
        if not isinstance(enabled, bool):
            errors.append(FieldError("enabled", "invalid", "true or false."))
        elif enabled and not endpoint.enabled:
            endpoint.enabled = True
            endpoint.disabled_reason, endpoint.disabled_at, endpoint.failing_since = "", None, None
        elif not enabled and endpoint.enabled:
            endpoint.enabled = False
            endpoint.disabled_reason = DISABLED_BY_MERCHANT
            endpoint.disabled_at = timezone.now()
    if errors:
        raise ValidationFailed(errors)
    endpoint.save()
    return endpoint


def webhook_endpoint_delete(*, endpoint: WebhookEndpoint) -> None:
    """Delete the endpoint and its delivery log; tasks still queued for it find nothing to do."""
    WebhookEndpoint.objects.filter(pk=endpoint.pk).delete()


@transaction.atomic
def webhook_endpoint_rotate_secret(*, endpoint: WebhookEndpoint) -> tuple[WebhookEndpoint, str]:
    """Issue a new secret; the current one keeps signing for ``WEBHOOKS_SECRET_ROTATION_OVERLAP``.

    Return the endpoint and the new secret (shown once). A secret older than the current one is
    dropped at once.
    """
    endpoint = _endpoint_lock(endpoint.pk)
    secret = secret_generate()
    endpoint.previous_secret_encrypted = endpoint.secret_encrypted
    endpoint.previous_secret_expires_at = timezone.now() + settings.WEBHOOKS_SECRET_ROTATION_OVERLAP
    endpoint.secret_encrypted = secret_encrypt(secret, context=endpoint.public_id)
    endpoint.save()
    logger.info("webhook endpoint %s secret rotated", endpoint.public_id)
    return endpoint, secret


def webhook_endpoint_disable(*, endpoint_pk: int, reason: str) -> WebhookEndpoint:
    """Disable an endpoint (no new deliveries, pending ones fail); ``reason`` is shown to it."""
    with transaction.atomic():
        endpoint = _endpoint_lock(endpoint_pk)
        if endpoint.enabled:
            endpoint.enabled = False
            endpoint.disabled_reason = reason[:300]
            endpoint.disabled_at = timezone.now()
            endpoint.save(update_fields=["enabled", "disabled_reason", "disabled_at", "updated"])
            logger.warning("webhook endpoint %s disabled: %s", endpoint.public_id, reason)
    return endpoint


def webhook_endpoint_get(
    *, merchant: Merchant, livemode: bool, endpoint_id: str
) -> WebhookEndpoint:
    endpoint = WebhookEndpoint.objects.filter(
        merchant=merchant, livemode=livemode, public_id=endpoint_id
    ).first()
    if endpoint is None:
        raise NotFound("No such webhook endpoint.")
    return endpoint


def webhook_endpoint_list(*, merchant: Merchant, livemode: bool):
    return WebhookEndpoint.objects.filter(merchant=merchant, livemode=livemode).order_by(
        "-created", "-id"
    )


# --- deliveries --------------------------------------------------------------------------------


def _enqueue(delivery_pk: int, *, countdown: int | None = None) -> None:
    """Send ``webhook_deliver_task`` once the current transaction commits; with the broker
    unreachable, ``webhooks_sweep`` sends it once the delivery is overdue."""
    from backoffice.on_commit import send_on_commit

    from .tasks import webhook_deliver_task

    send_on_commit(webhook_deliver_task, delivery_pk, countdown=countdown)


def _delivery_for(
    event: Event, endpoint: WebhookEndpoint, *, enqueue: bool = True
) -> tuple[WebhookDelivery, bool]:
    """Return the event's delivery to the endpoint, creating it (and, with ``enqueue``, its
    task) if missing."""
    try:
        with transaction.atomic():
            delivery, created = WebhookDelivery.objects.get_or_create(
                event=event,
                endpoint=endpoint,
                defaults={
                    "merchant_id": event.merchant_id,
                    "livemode": event.livemode,
                    "next_attempt_at": timezone.now(),
                },
            )
    except IntegrityError:
        # Another worker created it between our read and insert: theirs sends the task.
        return WebhookDelivery.objects.get(event=event, endpoint=endpoint), False
    if created and enqueue:
        _enqueue(delivery.pk)
    return delivery, created


def deliveries_create_for_event(*, event_pk: int, enqueue: bool = True) -> list[WebhookDelivery]:
    """Create one delivery per enabled endpoint subscribed to the event; return the new ones.

    Idempotent: a delivery exists once per (event, endpoint), so running this twice creates and
    sends nothing more. Without ``enqueue`` no task is sent: ``webhooks_sweep`` sends them.
    """
    event = Event.objects.filter(pk=event_pk).first()
    if event is None:
        return []
    endpoints = WebhookEndpoint.objects.filter(
        merchant_id=event.merchant_id, livemode=event.livemode, enabled=True
    )
    created = []
    for endpoint in endpoints:
        if endpoint.subscribes_to(event.type):
            delivery, new = _delivery_for(event, endpoint, enqueue=enqueue)
            if new:
                created.append(delivery)
    return created


@dataclass(frozen=True)
class HttpOutcome:
    status_code: int | None
    body: str
    error: str
    latency_ms: int
    retry_after: str | None = None


@dataclass(frozen=True)
class AttemptResult:
    """What ``delivery_attempt`` did: ``outcome`` is one of ``succeeded``, ``retrying``,
    ``failed``, or ``skipped`` (nothing due, already done, or gone); ``retry_in`` in seconds."""

    outcome: str
    retry_in: int | None = None
    attempt: WebhookAttempt | None = None


# The monotonic instant by which the current thread's request must be over (see ``_post``).
_request_deadline = threading.local()


def _time_left(timeout: float | None, timeout_error: type[Exception]) -> float | None:
    """Return ``timeout`` shortened to what is left of the request's deadline; raise
    ``timeout_error`` once it has passed."""
    deadline = getattr(_request_deadline, "at", None)
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise timeout_error("The whole request took longer than its deadline.")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    """A connection whose every read and write ends by the request's deadline.

    httpx's timeouts bound each network operation, not the request: a receiver sending its
    answer a byte at a time, each within the read timeout, would hold a worker for hours.
    """

    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _time_left(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _time_left(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(self, ssl_context, server_hostname=None, timeout=None):
        timeout = _time_left(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._stream.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str):
        return self._stream.get_extra_info(info)


class _GuardedBackend(httpcore.SyncBackend):
    """Connect only to checked addresses of the URL's host (DNS resolved once, here)."""

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        last_error: Exception | None = None
        for address in addresses_resolve(host, port)[:3]:
            try:
                timeout = _time_left(timeout, httpcore.ConnectTimeout)
                stream = super().connect_tcp(address, port, timeout, local_address, socket_options)
                return _DeadlineStream(stream)
            except httpcore.ConnectError as exc:
                last_error = exc
        raise last_error or httpcore.ConnectError("no address to connect to")


class _GuardedTransport(httpx.HTTPTransport):
    def __init__(self) -> None:
        super().__init__(trust_env=False, retries=0)
        limits = httpx.Limits(max_connections=100, max_keepalive_connections=20)
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=_GuardedBackend(),
        )


_client_lock = threading.Lock()
_client: tuple[int, httpx.Client] | None = None


def http_client() -> httpx.Client:
    """Return this process's webhook client (kept across tasks; a forked child makes its own)."""
    global _client
    with _client_lock:
        if _client is None or _client[0] != os.getpid():
            client = httpx.Client(
                transport=_GuardedTransport(),
                follow_redirects=False,
                trust_env=False,
                # Answers are logged as sent, never decompressed: a small compressed body can
                # expand to hundreds of megabytes in one read.
                headers={"user-agent": USER_AGENT, "accept-encoding": "identity"},
            )
            _client = (os.getpid(), client)
        return _client[1]


def _post(url: str, *, body: bytes, headers: dict) -> HttpOutcome:
    """POST once; return what came back. Never raises for network or safety errors.

    ``WEBHOOKS_TIMEOUT`` bounds each network operation and the whole request: connecting,
    sending, and reading the answer's head and the part of its body that is kept.
    """
    problem = _url_problems(url)
    if problem:
        return HttpOutcome(None, "", f"Refused: {problem}", 0)
    started = time.monotonic()
    timeout = httpx.Timeout(settings.WEBHOOKS_TIMEOUT)
    _request_deadline.at = started + settings.WEBHOOKS_TIMEOUT
    try:
        with http_client().stream(
            "POST", url, content=body, headers=headers, timeout=timeout
        ) as response:
            chunks, size = [], 0
            for chunk in response.iter_raw():
                chunks.append(chunk)
                size += len(chunk)
                if size >= RESPONSE_BODY_LIMIT:
                    break
            text = b"".join(chunks)[:RESPONSE_BODY_LIMIT].decode("utf-8", "replace")
            # PostgreSQL cannot store NUL in text: the attempt's outcome could not be recorded.
            text = text.replace("\x00", "\ufffd")
            return HttpOutcome(
                response.status_code,
                text,
                "",
                _ms_since(started),
                response.headers.get("retry-after"),
            )
    except UnsafeWebhookUrl as exc:
        return HttpOutcome(None, "", f"Refused: {exc}", _ms_since(started))
    except httpx.TimeoutException as exc:
        return HttpOutcome(None, "", f"Timed out ({type(exc).__name__})", _ms_since(started))
    except httpx.HTTPError as exc:
        return HttpOutcome(None, "", f"{type(exc).__name__}: {exc}"[:500], _ms_since(started))
    finally:
        _request_deadline.at = None


def _ms_since(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


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

    A receiver's ``Retry-After`` is honoured, clamped to the schedule's shortest and longest
    waits; otherwise the scheduled wait with jitter.
    """
    if retry_after is not None:
        return min(max(retry_after, min(RETRY_SCHEDULE)), max(RETRY_SCHEDULE))
    base = RETRY_SCHEDULE[step]
    return max(1, round(base * random.uniform(1 - RETRY_JITTER, 1 + RETRY_JITTER)))  # noqa: S311


def _lock_delivery(delivery_pk: int) -> WebhookDelivery | None:
    return (
        WebhookDelivery.objects.select_for_update(of=("self",))
        .select_related("endpoint", "event")
        .filter(pk=delivery_pk)
        .first()
    )


_ACTIVE = (WebhookDelivery.Status.PENDING, WebhookDelivery.Status.RETRYING)


def _is_due(status: str, next_attempt_at: datetime | None, now: datetime) -> bool:
    return status in _ACTIVE and not (next_attempt_at and next_attempt_at > now + DUE_TOLERANCE)


@dataclass
class _Claim:
    """One claimed attempt, ready to send: its rows (as claimed), and the signed request."""

    delivery: WebhookDelivery
    attempt: WebhookAttempt
    url: str
    body: bytes
    headers: dict


def delivery_attempt(*, delivery_pk: int) -> AttemptResult:
    """Make the delivery's next attempt if it is due; record it; schedule a retry or give up.

    Safe to run twice or concurrently: the row lock and the claimed ``next_attempt_at`` let one
    run make the attempt; the other (or a run for a finished delivery) returns ``skipped``. The
    HTTP request is made outside the lock.
    """
    return deliveries_attempt(delivery_pk=delivery_pk, batch=1)


def deliveries_attempt(*, delivery_pk: int, batch: int | None = None) -> AttemptResult:
    """Attempt the delivery if it is due, together with up to ``batch - 1`` (default
    ``DELIVERY_BATCH``) other due deliveries of the same endpoint, oldest due first; return the
    result of ``delivery_pk`` itself.

    Each delivery of the batch keeps its own claim, attempt row, signature, outcome and retry
    schedule, exactly as if ``delivery_attempt`` had been called for it: the batch only shares
    the two transactions (claim, record) and the endpoint's secrets, and its requests run
    concurrently, so the batch takes about as long as its slowest attempt. Other deliveries are
    taken with ``SKIP LOCKED``: two batches never wait for each other, and a delivery a batch
    took is no longer due, so its own task (still queued) finds nothing to do.
    """
    now = timezone.now()
    # Unlocked look first: most tasks of a busy endpoint find their delivery already taken by a
    # batch, and this answers them without a transaction. A delivery that becomes due again
    # (restart, retry) gets a task of its own after that commits.
    if not _looks_due(delivery_pk, now):
        return AttemptResult("skipped")
    more = (batch or DELIVERY_BATCH) - 1
    claims, result = _claim(delivery_pk=delivery_pk, now=now, more=more)
    if not claims:
        return result
    outcomes = _post_all(claims)
    return _attempts_record(claims, outcomes)[0]


def _looks_due(delivery_pk: int, now: datetime) -> bool:
    """Whether the delivery is due, read without a lock (one indexed lookup, no ORM compile:
    it runs once per queued task, most of which find their delivery taken by a batch)."""
    qn = connection.ops.quote_name
    meta = WebhookDelivery._meta
    next_attempt_at = qn(meta.get_field("next_attempt_at").column)
    sql = (
        f"SELECT 1 FROM {qn(meta.db_table)} WHERE {qn(meta.pk.column)} = %s"
        f" AND {qn(meta.get_field('status').column)} IN (%s, %s)"
        f" AND ({next_attempt_at} IS NULL OR {next_attempt_at} <= %s)"
    )
    due_by = connection.ops.adapt_datetimefield_value(now + DUE_TOLERANCE)
    with connection.cursor() as cursor:
        cursor.execute(sql, [delivery_pk, *_ACTIVE, due_by])
        return cursor.fetchone() is not None


def _claim(*, delivery_pk: int, now: datetime, more: int) -> tuple[list[_Claim], AttemptResult]:
    """Claim the delivery's attempt and up to ``more`` others of its endpoint; sign them."""
    with transaction.atomic():
        delivery = _lock_delivery(delivery_pk)
        if delivery is None or not _is_due(delivery.status, delivery.next_attempt_at, now):
            return [], AttemptResult("skipped")
        endpoint = delivery.endpoint
        if not endpoint.enabled:
            delivery.fail()
            delivery.last_error = f"Endpoint disabled: {endpoint.disabled_reason}"[:500]
            delivery.next_attempt_at, delivery.completed_at = None, now
            delivery.save()
            return [], AttemptResult("failed")
        deliveries = [delivery]
        if more > 0:
            others = (
                WebhookDelivery.objects.select_for_update(of=("self",), skip_locked=True)
                .select_related("event")
                .filter(
                    endpoint_id=endpoint.pk,
                    status__in=_ACTIVE,
                    next_attempt_at__lte=now + DUE_TOLERANCE,
                )
                .exclude(pk=delivery.pk)
                .order_by("next_attempt_at", "pk")[:more]
            )
            for other in others:
                other.endpoint = endpoint
                deliveries.append(other)
        # Claim the attempts: a duplicate task finds them not due until the requests must be over
        # (each round of DELIVERY_CONCURRENCY requests within four timeouts).
        rounds = -(-len(deliveries) // DELIVERY_CONCURRENCY)
        claimed_until = now + timedelta(seconds=rounds * 4 * settings.WEBHOOKS_TIMEOUT + 30)
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


def _post_claim(claim: _Claim) -> HttpOutcome:
    return _post(claim.url, body=claim.body, headers=claim.headers)


def _post_all(claims: list[_Claim]) -> list[HttpOutcome]:
    """Send the batch's requests, concurrently (one slow answer does not hold up the others)."""
    if len(claims) == 1:
        return [_post_claim(claims[0])]
    return list(_post_pool().map(_post_claim, claims))


def _attempts_record(claims: list[_Claim], outcomes: list[HttpOutcome]) -> list[AttemptResult]:
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
        # queue behind its row. Its row is written (a conditional UPDATE, which locks it only
        # if it still needs the change) only when failing_since must change.
        endpoint = next(iter(locked.values())).endpoint if locked else None
        batch_disable_reason = ""
        attempts, deliveries = [], []
        order = sorted(range(len(claims)), key=lambda i: not _is_success(outcomes[i].status_code))
        for i in order:
            attempt, outcome = claims[i].attempt, outcomes[i]
            code = outcome.status_code
            succeeded = _is_success(code)
            error = outcome.error or ("" if succeeded else f"HTTP {code}")
            attempt.finished_at = now
            attempt.status_code = code
            attempt.latency_ms = outcome.latency_ms
            attempt.response_body = outcome.body
            attempt.error = error[:500]
            attempt.succeeded = succeeded
            delivery = locked.get(claims[i].delivery.pk)
            if delivery is None:
                results[i] = AttemptResult("skipped", attempt=attempt)
                continue
            delivery.endpoint = endpoint
            delivery.last_status_code, delivery.last_error = code, attempt.error
            result = "skipped"
            retry_in = None
            active = delivery.status in _ACTIVE
            if succeeded:
                if active:
                    delivery.succeed()
                    delivery.next_attempt_at, delivery.completed_at = None, now
                    result = "succeeded"
                if endpoint.failing_since is not None:
                    WebhookEndpoint.objects.filter(
                        pk=endpoint.pk, failing_since__isnull=False
                    ).update(failing_since=None, updated=now)
                    endpoint.failing_since = None
            else:
                if endpoint.failing_since is None and WebhookEndpoint.objects.filter(
                    pk=endpoint.pk, failing_since__isnull=True
                ).update(failing_since=attempt.started_at, updated=now):
                    endpoint.failing_since = attempt.started_at
                disable_reason = _disable_reason(endpoint=endpoint, status_code=code, now=now)
                if disable_reason:
                    disabled = webhook_endpoint_disable(
                        endpoint_pk=endpoint.pk, reason=disable_reason
                    )
                    endpoint.enabled = disabled.enabled
                    batch_disable_reason = disable_reason
                # The rest of a batch whose failure disabled the endpoint fails with it.
                disable_reason = disable_reason or batch_disable_reason
                # A delivery finished meanwhile (a concurrent redelivery) keeps its outcome.
                if active and (disable_reason or delivery.schedule_step >= len(RETRY_SCHEDULE)):
                    delivery.fail()
                    delivery.next_attempt_at, delivery.completed_at = None, now
                    result = "failed"
                elif active:
                    honoured = (
                        retry_after_seconds(outcome.retry_after, now=now)
                        if code in RETRY_AFTER_STATUSES
                        else None
                    )
                    retry_in = retry_delay(step=delivery.schedule_step, retry_after=honoured)
                    delivery.schedule_retry()
                    delivery.schedule_step += 1
                    delivery.next_attempt_at = now + timedelta(seconds=retry_in)
                    attempt.retry_in = retry_in
                    _enqueue(delivery.pk, countdown=retry_in)
                    result = "retrying"
            delivery.updated = now
            attempts.append(attempt)
            deliveries.append(delivery)
            results[i] = AttemptResult(result, retry_in=retry_in, attempt=attempt)
            logged.append((delivery.public_id, attempt.number, result, code, outcome.latency_ms))
        _rows_update(WebhookAttempt, attempts, _ATTEMPT_RESULT_FIELDS)
        _rows_update(WebhookDelivery, deliveries, _DELIVERY_RESULT_FIELDS)
    for entry in logged:
        logger.info("webhook delivery %s attempt %s: %s (status %s, %s ms)", *entry)
    return results


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
    "next_attempt_at",
    "completed_at",
    "last_status_code",
    "last_error",
    "updated",
)


def _is_success(status_code: int | None) -> bool:
    return status_code is not None and 200 <= status_code < 300


def _rows_update(model, objs: list, fields: Iterable[str]) -> None:
    """Write each object's own values of ``fields`` to its row, in one UPDATE.

    What ``QuerySet.bulk_update`` does, without building an expression per value (which cost
    more than the batch's requests): a column whose value is the same in every row is set
    once, the others with one ``CASE`` on the primary key (cast where the backend needs it).
    """
    if not objs:
        return
    qn = connection.ops.quote_name
    pk_column = qn(model._meta.pk.column)
    sets, params = [], []
    for name in fields:
        field = model._meta.get_field(name)
        values = [field.get_db_prep_save(getattr(obj, field.attname), connection) for obj in objs]
        if all(v == values[0] for v in values):
            sets.append(f"{qn(field.column)} = %s")
            params.append(values[0])
            continue
        case = f"CASE {pk_column} " + " ".join(["WHEN %s THEN %s"] * len(objs)) + " END"
        if connection.features.requires_casted_case_in_updates:
            case = f"CAST({case} AS {field.db_type(connection)})"
        sets.append(f"{qn(field.column)} = {case}")
        for obj, value in zip(objs, values, strict=True):
            params += [obj.pk, value]
    pks = [obj.pk for obj in objs]
    sql = (
        f"UPDATE {qn(model._meta.db_table)} SET {', '.join(sets)} "
        f"WHERE {pk_column} IN ({', '.join(['%s'] * len(pks))})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params + pks)


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


# --- redelivery and the sweep ------------------------------------------------------------------


def delivery_restart(*, delivery_pk: int) -> WebhookDelivery:
    """Start a delivery over (a new attempt now, a fresh retry schedule), whatever its state."""
    with transaction.atomic():
        delivery = _lock_delivery(delivery_pk)
        if delivery is None:
            raise NotFound("No such webhook delivery.")
        delivery.restart()
        delivery.schedule_step = 0
        delivery.next_attempt_at, delivery.completed_at = timezone.now(), None
        delivery.save()
        _enqueue(delivery.pk)
    return delivery


def event_redeliver(
    *, merchant: Merchant, livemode: bool, event_id: str, endpoint_id: str | None = None
) -> list[WebhookDelivery]:
    """Send an event again to its enabled endpoints (or one of them); return the deliveries.

    An endpoint subscribed to the event that never got it (created later) gets a new delivery.
    """
    event = Event.objects.filter(merchant=merchant, livemode=livemode, public_id=event_id).first()
    if event is None:
        raise NotFound("No such event.")
    endpoints = webhook_endpoint_list(merchant=merchant, livemode=livemode).filter(enabled=True)
    if endpoint_id is not None:
        endpoints = endpoints.filter(public_id=endpoint_id)
        if not endpoints:
            raise NotFound("No such enabled webhook endpoint.")
    out = []
    for endpoint in endpoints:
        if endpoint_id is None and not endpoint.subscribes_to(event.type):
            continue
        delivery, created = _delivery_for(event, endpoint)
        out.append(delivery if created else delivery_restart(delivery_pk=delivery.pk))
    return out


def endpoint_redeliver_failed(
    *, endpoint: WebhookEndpoint, since: datetime, limit: int = 1000
) -> list[WebhookDelivery]:
    """Restart the endpoint's failed deliveries of events since ``since`` (oldest first)."""
    if not endpoint.enabled:
        # The endpoint's state, not the request, is at fault: no field to name.
        raise InvalidTransition(
            "The endpoint is disabled; enable it before redelivering to it.",
            code="endpoint_disabled",
        )
    pks = list(
        endpoint.deliveries.filter(status=WebhookDelivery.Status.FAILED, event__created__gte=since)
        .order_by("event__created", "id")
        .values_list("pk", flat=True)[:limit]
    )
    return [delivery_restart(delivery_pk=pk) for pk in pks]


def webhooks_sweep() -> int:
    """Re-send deliveries due for longer than ``LOST_TASK_GRACE`` (their task was lost).

    Return how many were sent. A task found not due or already done does nothing, so an
    occasional duplicate is harmless.
    """
    cutoff = timezone.now() - LOST_TASK_GRACE
    pks = list(
        WebhookDelivery.objects.filter(
            status__in=[WebhookDelivery.Status.PENDING, WebhookDelivery.Status.RETRYING],
            next_attempt_at__lte=cutoff,
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    for pk in pks:
        _enqueue(pk)
    if pks:
        logger.warning("webhook sweep re-sent %s overdue deliveries", len(pks))
    return len(pks)


# --- the API's representation ------------------------------------------------------------------


def _ts(value) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def endpoint_data(endpoint: WebhookEndpoint, *, secret: str | None = None) -> dict:
    """The API JSON of an endpoint; ``secret`` only in the answer that created or rotated it."""
    data = {
        "id": endpoint.public_id,
        "object": "webhook_endpoint",
        "livemode": endpoint.livemode,
        "url": endpoint.url,
        "description": endpoint.description,
        "enabled_events": endpoint.enabled_events,
        "enabled": endpoint.enabled,
        "disabled_reason": endpoint.disabled_reason or None,
        "disabled_at": _ts(endpoint.disabled_at),
        "failing_since": _ts(endpoint.failing_since),
        "secret_rotation_ends_at": _ts(endpoint.previous_secret_expires_at)
        if endpoint.previous_secret_expires_at
        and endpoint.previous_secret_expires_at > timezone.now()
        else None,
        "created": _ts(endpoint.created),
    }
    if secret is not None:
        data["secret"] = secret
    return data


def delivery_data(delivery: WebhookDelivery) -> dict:
    return {
        "id": delivery.public_id,
        "object": "webhook_delivery",
        "livemode": delivery.livemode,
        "endpoint": delivery.endpoint.public_id,
        "event": delivery.event.public_id,
        "event_type": delivery.event.type,
        "status": delivery.status,
        "attempt_count": delivery.attempt_count,
        "next_attempt_at": _ts(delivery.next_attempt_at)
        if delivery.status in (WebhookDelivery.Status.PENDING, WebhookDelivery.Status.RETRYING)
        else None,
        "last_status_code": delivery.last_status_code,
        "last_error": delivery.last_error or None,
        "created": _ts(delivery.created),
        "completed_at": _ts(delivery.completed_at),
    }
