"""gunicorn's settings for the web processes (read from the working directory by default).

Metrics: with ``PROMETHEUS_MULTIPROC_DIR`` set, every worker writes its metrics into that
directory; the files of a worker that died are left to be summed (counters must not go back)
but its live gauges are dropped, and files of processes gone before this start are removed.
Traces: each worker sets tracing up after the fork (``merchant_portal.tracing``).
"""

import os
import re
from pathlib import Path

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# Above the web's PostgreSQL statement timeout (10 s): a slow statement is answered 503 by the
# app before gunicorn would kill the worker.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
# The app (and its database connections, tracing exporter, metric files) is loaded in each
# worker after the fork, never in the master.
preload_app = False
accesslog = None  # merchant_portal.access logs one line per request, with its request id

_METRIC_FILE = re.compile(r"_(\d+)\.db$")


def _multiproc_dir() -> Path | None:
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    return Path(directory) if directory else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def on_starting(server):
    """Create the metrics directory; remove the files of processes that no longer run."""
    directory = _multiproc_dir()
    if directory is None:
        return
    directory.mkdir(parents=True, exist_ok=True)
    for path in directory.glob("*.db"):
        match = _METRIC_FILE.search(path.name)
        if match and not _alive(int(match.group(1))):
            path.unlink(missing_ok=True)


def child_exit(server, worker):
    """A worker ended: its live gauges no longer count."""
    if _multiproc_dir() is not None:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


def post_fork(server, worker):
    """Set tracing up in the worker, after the fork (a no-op unless an OTLP endpoint is set)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "merchant_portal.settings")
    import django

    django.setup(set_prefix=False)
    from merchant_portal.tracing import tracing_setup

    tracing_setup("web")
