"""The HTTP client of webhook attempts: connects only to checked public addresses, and bounds
the whole request (not each network operation) by ``WEBHOOKS_TIMEOUT``."""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass

import httpcore
import httpx
from django.conf import settings

from .url_safety import UnsafeWebhookUrl, addresses_resolve, port_problem, url_problem

USER_AGENT = "MerchantPayments-Webhooks/1.0"
#: The first bytes of an answer kept in the attempt's log.
RESPONSE_BODY_LIMIT = 1024


@dataclass(frozen=True)
class HttpOutcome:
    status_code: int | None
    body: str
    error: str
    latency_ms: int
    retry_after: str | None = None


# The monotonic instant by which the current thread's request must be over (see ``post``).
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
    """Connect only to checked addresses of the URL's host (DNS resolved once, here).

    TLS and the ``Host`` header keep the URL's name: only the TCP connection uses the address.
    """

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


def post(url: str, *, body: bytes, headers: dict) -> HttpOutcome:
    """POST once; return what came back. Never raises for network or safety errors.

    ``WEBHOOKS_TIMEOUT`` bounds each network operation and the whole request: connecting,
    sending, and reading the answer's head and the part of its body that is kept.
    """
    # Checked again at each delivery: a URL stored before a rule tightened is refused too.
    problem = url_problem(url) or port_problem(url)
    if problem:
        return HttpOutcome(None, "", f"Refused: {problem}", 0)
    started = time.monotonic()
    # A receiver not accepting connections fails within the connect timeout, not the whole one.
    timeout = httpx.Timeout(settings.WEBHOOKS_TIMEOUT, connect=settings.WEBHOOKS_CONNECT_TIMEOUT)
    _request_deadline.at = started + settings.WEBHOOKS_TIMEOUT
    try:
        with http_client().stream(
            "POST", url, content=body, headers=headers, timeout=timeout
        ) as response:
            return HttpOutcome(
                response.status_code,
                _body_head(response),
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


def _body_head(response: httpx.Response) -> str:
    """Return the answer's first ``RESPONSE_BODY_LIMIT`` bytes as text; the rest is not read."""
    chunks, size = [], 0
    for chunk in response.iter_raw():
        chunks.append(chunk)
        size += len(chunk)
        if size >= RESPONSE_BODY_LIMIT:
            break
    text = b"".join(chunks)[:RESPONSE_BODY_LIMIT].decode("utf-8", "replace")
    # PostgreSQL cannot store NUL in text: the attempt's outcome could not be recorded.
    return text.replace("\x00", "\ufffd")


def _ms_since(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
