"""Liveness and readiness, for load balancers and orchestrators."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from django.core.cache import cache
from django.db import connections
from django.http import JsonResponse

from .celery import app

logger = logging.getLogger(__name__)

#: Seconds each dependency has to answer before the process is reported not ready.
CHECK_TIMEOUT = 1.0
# Shared and small: a hung dependency holds one thread per check, never one per request.
_checks = ThreadPoolExecutor(max_workers=6, thread_name_prefix="readyz")


def _database() -> None:
    connection = connections["default"]
    try:
        connection.ensure_connection()
        if not connection.is_usable():
            raise ConnectionError("database connection not usable")
    finally:
        connection.close()


def _broker() -> None:
    with app.connection_for_write() as connection:
        connection.connect()


def _cache() -> None:
    cache.set("readyz", "1", timeout=5)
    if cache.get("readyz") != "1":
        raise ConnectionError("cache did not keep a value")


CHECKS = {"database": _database, "broker": _broker, "cache": _cache}


def healthz(request):
    """The process answers: nothing else is asked, so a dependency's outage restarts nothing."""
    return JsonResponse({"status": "ok"})


def readyz(request):
    """200 when the database, the broker and the cache each answer within a second; else 503
    naming what failed, with ``Retry-After``."""
    futures = {name: _checks.submit(check) for name, check in CHECKS.items()}
    results = {}
    for name, future in futures.items():
        try:
            future.result(timeout=CHECK_TIMEOUT)
            results[name] = "ok"
        except FutureTimeout:
            results[name] = "timeout"
        except Exception as err:  # noqa: BLE001 - any failure means not ready; logged once here
            logger.warning("readyz: %s unavailable: %s", name, type(err).__name__)
            results[name] = "unavailable"
    failing = sorted(name for name, result in results.items() if result != "ok")
    if not failing:
        return JsonResponse({"status": "ok", "checks": results})
    response = JsonResponse(
        {"status": "unavailable", "failing": failing, "checks": results}, status=503
    )
    response["Retry-After"] = "5"
    return response
