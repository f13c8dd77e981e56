import os
from collections.abc import Mapping
from contextvars import Token

from celery import Celery
from celery.signals import (
    before_task_publish,
    setup_logging,
    task_postrun,
    task_prerun,
    worker_init,
    worker_process_init,
    worker_process_shutdown,
)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "merchant_portal.settings")

app = Celery("merchant_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

#: The message header that carries the request id into a task.
REQUEST_ID_HEADER = "request_id"


@setup_logging.connect
def _worker_logging(**kwargs) -> None:
    """Workers and beat log as the web does (``settings.LOGGING``: ``LOG_FORMAT``, each line
    with its request id, card data masked) instead of the format Celery would set up in its
    place, which knows neither the request id nor the masking."""
    import logging.config

    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)


@worker_init.connect  # the solo pool runs tasks in the main process
@worker_process_init.connect
def _worker_database_timeouts(**kwargs) -> None:
    """Workers run settlement and sweeps: the long statement and lock limits, not the web's."""
    from .database import timeouts_apply

    timeouts_apply("worker")


@worker_process_init.connect
def _worker_process_tracing(**kwargs) -> None:
    """A prefork child sets tracing up after the fork (see ``merchant_portal.tracing``)."""
    from .tracing import tracing_setup

    tracing_setup("worker")


@worker_init.connect
def _worker_tracing(sender=None, **kwargs) -> None:
    """Solo and thread pools run tasks in this process: tracing is set up here; a prefork
    parent leaves it to its children."""
    pool = getattr(sender, "pool_cls", "")
    if "prefork" not in f"{getattr(pool, '__module__', '')}{pool}":
        from .tracing import tracing_setup

        tracing_setup("worker")


@worker_process_shutdown.connect
def _worker_process_metrics_dead(pid=None, **kwargs) -> None:
    """Drop the live gauges of a child that ends (its counters stay summed)."""
    from django.conf import settings

    if settings.PROMETHEUS_MULTIPROC_DIR:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid or os.getpid(), settings.PROMETHEUS_MULTIPROC_DIR)


@before_task_publish.connect
def _request_id_to_headers(headers=None, **kwargs) -> None:
    """A task sent while a request (or a task) runs carries its request id."""
    from backoffice.request_id import request_id_current

    request_id = request_id_current()
    if request_id and headers is not None:
        headers.setdefault(REQUEST_ID_HEADER, request_id)


_task_log_tokens: dict[str, Mapping[str, Token]] = {}


@task_prerun.connect
def _task_log_context(task_id=None, task=None, **kwargs) -> None:
    """Bind the request id the message carries (a new one for a task no request caused, such as
    beat's), the task's id and name to every log line of the task."""
    from backoffice.request_id import (
        log_context_bind,
        request_id_current,
        request_id_new,
        request_id_valid,
    )

    request = task.request
    carried = getattr(request, REQUEST_ID_HEADER, None) or (
        getattr(request, "headers", None) or {}
    ).get(REQUEST_ID_HEADER)
    request_id = carried if request_id_valid(carried) else None
    # An eager task (tests, CELERY_TASK_ALWAYS_EAGER) runs inside the context that sent it.
    request_id = request_id or request_id_current() or request_id_new()
    _task_log_tokens[task_id] = log_context_bind(
        request_id=request_id, task_id=task_id, task=task.name
    )


@task_postrun.connect
def _task_log_context_reset(task_id=None, **kwargs) -> None:
    from backoffice.request_id import log_context_reset

    tokens = _task_log_tokens.pop(task_id, None)
    if tokens is not None:
        try:
            log_context_reset(tokens)
        except ValueError:  # bound in another context (a pool thread): nothing to restore
            pass


@app.task(name="merchant_portal.ping")
def ping(token: str) -> str:
    """Echo a token; the test tiers use it to prove a real worker consumes the broker."""
    from django.core.cache import cache

    cache.set(f"celery-ping:{token}", "pong", 60)
    return token
