"""A worker killed -9 with messages it had not acknowledged, then the broker flushed: no event
is lost; the sweep finds every delivery again and a new worker sends it."""

from __future__ import annotations

import threading

import pytest
import redis
from django.conf import settings
from django.db import connection, transaction

from payments.models import Event
from tests.conftest import celery_worker_start, celery_worker_stop, wait_for
from tests.faults.conftest import (
    api_client,
    assert_invariants_command,
    paid_order,
    sweep_now,
    undelivered_events,
)
from webhooks.models import WebhookEndpoint

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


def _backends_waiting_on_a_lock() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


class _EndpointHeld:
    """Another connection holds the endpoint's row (``FOR NO KEY UPDATE``): deliveries to it are
    still written (their foreign key needs only ``KEY SHARE``), but a worker's attempt waits, in
    the middle of its task, its message unacknowledged, until ``release``."""

    def __init__(self, endpoint_pk: int) -> None:
        self.locked, self.released = threading.Event(), threading.Event()
        self.thread = threading.Thread(target=self._hold, args=(endpoint_pk,))
        self.thread.start()
        assert self.locked.wait(10)

    def _hold(self, endpoint_pk: int) -> None:
        try:
            with transaction.atomic():
                WebhookEndpoint.objects.select_for_update(no_key=True).get(pk=endpoint_pk)
                self.locked.set()
                self.released.wait(60)
        finally:
            connection.close()

    def release(self) -> None:
        self.released.set()
        self.thread.join()


def _other_backends() -> int:
    """Connections to the test database other than this one (a dead worker's backend lingers
    until PostgreSQL notices its client is gone, holding its row locks)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


def test_a_worker_killed_with_unacked_messages_then_a_flushed_broker_lose_no_event(
    real_broker, merchant, make_endpoint, receiver, monkeypatch, tmp_path
):
    endpoint, _ = make_endpoint()
    api = api_client(merchant)
    worker = celery_worker_start(log=tmp_path / "worker-killed.log")
    held = _EndpointHeld(endpoint.pk)
    try:
        for _ in range(3):
            created, paid = paid_order(api)
            assert (created.status_code, paid.status_code) == (201, 201), paid.content
        # Both worker processes are inside a delivery task, waiting on the endpoint's row.
        wait_for(lambda: _backends_waiting_on_a_lock() >= 2, timeout=30)
        celery_worker_stop(worker, kill=True)
        for _ in range(2):  # committed while no worker runs: their messages wait in Redis
            created, paid = paid_order(api)
            assert (created.status_code, paid.status_code) == (201, 201), paid.content
        redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()  # every message gone
    finally:
        held.release()
    wait_for(lambda: _other_backends() == 0, timeout=30)
    assert receiver.requests == []
    events = set(Event.objects.filter(merchant=merchant).values_list("public_id", flat=True))
    assert len(events) >= 5 and set(undelivered_events(merchant)) == events

    worker = celery_worker_start(log=tmp_path / "worker-new.log")
    try:
        assert sweep_now(monkeypatch) == len(events)  # one delivery per event, all found again
        wait_for(lambda: not undelivered_events(merchant), timeout=60)
    finally:
        celery_worker_stop(worker)

    assert {r.headers["webhook-id"] for r in receiver.requests} == events
    assert_invariants_command()
