"""Celery work leaves a transaction only once it has committed, and a broker outage loses none."""

from __future__ import annotations

import contextvars
import logging
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
