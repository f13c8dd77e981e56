"""What one request may remember between its transactions (e.g. a merchant's webhook endpoints).

A payment request runs several short transactions; what does not change while it runs is read
once per request instead of once per transaction. Outside a request (a task, a command) there
is no memo and callers read as before. Writers of what is remembered drop it
(``request_memo_forget``), so a request never reads its own writes stale.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_memo: ContextVar[dict | None] = ContextVar("request_memo", default=None)


@contextmanager
def request_memo_scope() -> Iterator[dict]:
    """Give the code run inside the block (one request) a memo of its own."""
    token = _memo.set({})
    try:
        yield _memo.get()
    finally:
        _memo.reset(token)


def request_memo() -> dict | None:
    """The current request's memo, or None outside a request."""
    return _memo.get()


def request_memo_forget(name: str) -> None:
    """Drop ``name`` from the current request's memo, if any."""
    memo = _memo.get()
    if memo is not None:
        memo.pop(name, None)
