"""Per-process database limits: how long a statement or a lock wait may take."""

from __future__ import annotations

from django.conf import settings
from django.db import connections


def timeouts_apply(role: str) -> None:
    """Give this process's new PostgreSQL connections the ``DATABASE_TIMEOUTS`` of ``role``.

    Call before the process opens a connection (wsgi.py, a worker process's start); connections
    opened earlier keep their limits until they are closed.
    """
    statement, lock = settings.DATABASE_TIMEOUTS[role]
    for alias in connections:
        settings_dict = connections[alias].settings_dict
        if settings_dict["ENGINE"] != "django.db.backends.postgresql":
            continue
        options = settings_dict.setdefault("OPTIONS", {})
        options["options"] = f"-c statement_timeout={statement} -c lock_timeout={lock}"
