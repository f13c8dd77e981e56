"""The id of the request a log line, a task or a webhook attempt belongs to.

The id lives in a context variable (structlog's): every log line of the request carries it, and
so does every Celery task it causes (the task's ``request_id`` header) and every line the task
logs in turn.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from contextvars import Token

from structlog.contextvars import bind_contextvars, get_contextvars, reset_contextvars

from .client_ip import through_trusted_proxies

HEADER = "X-Request-Id"
#: What an id given by the proxy in front may look like: no spaces, quotes or control
#: characters that could forge a log line, and short enough to index.
_WELL_FORMED = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@/+=-]{0,127}")


def request_id_new() -> str:
    return uuid.uuid4().hex


def request_id_valid(value: str | None) -> bool:
    return bool(value) and _WELL_FORMED.fullmatch(value) is not None


def request_id_for(request) -> str:
    """Return the id of ``request``: the incoming ``X-Request-Id`` when the request came through
    the trusted proxies and the id is well formed, else a new one.

    A client that talks to the app directly cannot choose the id its log lines are found by.
    """
    incoming = request.META.get("HTTP_X_REQUEST_ID")
    if request_id_valid(incoming) and through_trusted_proxies(request):
        return incoming
    return request_id_new()


def request_id_current() -> str | None:
    """Return the id bound to the current context (request or task), or None."""
    return get_contextvars().get("request_id")


def log_context_bind(**values) -> Mapping[str, Token]:
    """Bind ``values`` to every log line of the current context; return the tokens that
    ``log_context_reset`` takes to restore what was bound before."""
    return bind_contextvars(**values)


def log_context_reset(tokens: Mapping[str, Token]) -> None:
    reset_contextvars(**tokens)
