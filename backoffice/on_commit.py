"""Celery work leaves a transaction only once it has committed, and a broker outage loses none."""

from __future__ import annotations

import contextvars
import logging
import threading
import weakref
from collections.abc import Callable

from django.db import transaction
from kombu.exceptions import OperationalError

logger = logging.getLogger(__name__)


def on_commit_in_context(callback: Callable[[], object]) -> None:
    """Run ``callback`` once the current transaction commits, in the context it was registered
    in: the request id of the log lines and the trace span stay those of the work that asked,
    even when the callback runs later (a test capturing callbacks, an outer block's commit)."""
    context = contextvars.copy_context()
    transaction.on_commit(lambda: context.run(callback))


def send_on_commit(task, *args, countdown: int | None = None) -> None:
    """Send ``task(*args)`` once the current transaction commits (at once outside one).

    An unreachable broker is logged, not raised: the caller's rows are committed and the sweep
    that covers them sends the work again once the broker is back, so the request that made them
    still gets its answer. Only tasks whose rows a sweep finds again may be sent this way.
    """

    def send() -> None:
        try:
            task.apply_async(args, countdown=countdown)
        except OperationalError:
            logger.warning("broker unreachable: %s%r left to its sweep", task.name, args)

    on_commit_in_context(send)


class _Batch:
    """The items one ``send_on_commit_batched`` call added (weakly referenced while pending)."""

    __slots__ = ("__weakref__", "items", "task")

    def __init__(self, task, items: list) -> None:
        self.task, self.items = task, items

    def __call__(self) -> None:
        _send_from(self)


# This thread's batches not yet sent, per task name, in the order they were added.
_local = threading.local()


def _pending(name: str) -> list[weakref.ref]:
    if not hasattr(_local, "pending"):
        _local.pending = {}
    return _local.pending.setdefault(name, [])


def send_on_commit_batched(task, items: list) -> None:
    """Send ``task(items)`` once the current transaction commits: one message per commit with
    the items of every call made for ``task`` in it (at once outside a transaction).

    Items added in a savepoint that rolls back are left out. An unreachable broker is logged as
    by ``send_on_commit``: only work a sweep finds again may be sent this way.
    """
    batch = _Batch(task, list(items))
    _pending(task.name).append(weakref.ref(batch))
    # Django holds the callback (and so the batch) until the commit, and drops it on rollback.
    on_commit_in_context(batch)


def _send_from(batch: _Batch) -> None:
    """Send this batch's items and those of every batch added after it in the thread, once.

    The first callback to run after a commit is that of the transaction's first batch: the
    batches added after it belong to the same transaction (Django drops the callbacks of a
    rolled-back transaction or savepoint, and their weak references die). The later callbacks
    find their batch sent. Batches added before this one whose callbacks are still held stay
    pending: their transaction has not committed.
    """
    name = batch.task.name
    pending = [ref for ref in _pending(name) if ref() is not None]
    position = next((i for i, ref in enumerate(pending) if ref() is batch), None)
    if position is None:
        _local.pending[name] = pending
        return
    items = [item for ref in pending[position:] for item in ref().items]
    _local.pending[name] = pending[:position]
    try:
        batch.task.apply_async((items,))
    except OperationalError:
        logger.warning("broker unreachable: %s of %s items left to its sweep", name, len(items))
