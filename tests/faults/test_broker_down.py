"""Redis (broker and cache) hung, then down, then back empty while API calls go on: no call is
answered 500, payments succeed (or ask to retry with 503 and Retry-After), and once Redis is
back every event is delivered."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess

import pytest
import redis

from tests.conftest import broker_at, celery_worker_start, celery_worker_stop, wait_for
from tests.faults.conftest import (
    api_client,
    assert_invariants_command,
    paid_order,
    sweep_now,
    undelivered_events,
)

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


class RedisServer:
    """A redis-server of the test's own on a free port, with no persistence (a restart loses
    every message, as a flush would), that the test can hang, kill and start again."""

    def __init__(self, workdir) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.workdir, self.proc = workdir, None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [shutil.which("redis-server"), "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_for(self._answers, timeout=10)

    def _answers(self) -> bool:
        try:
            return redis.Redis.from_url(self.url, socket_timeout=0.5).ping()
        except redis.RedisError:
            return False

    def hang(self) -> None:
        os.kill(self.proc.pid, signal.SIGSTOP)  # connections are accepted, nothing answered

    def kill(self) -> None:
        os.kill(self.proc.pid, signal.SIGKILL)  # stopped or not: gone, connections refused
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.kill()


@pytest.fixture
def own_redis(real_broker, settings, tmp_path, monkeypatch):
    """Broker and cache of the app (and of the workers the test starts) on a Redis of its own."""
    server = RedisServer(tmp_path)
    server.start()
    settings.CACHES = {
        "default": {**settings.CACHES["default"], "LOCATION": server.url},
    }
    try:
        with broker_at(server.url, monkeypatch):
            yield server
    finally:
        server.stop()


def _answer_ok(response) -> bool:
    """A call during an outage succeeds, or asks to be retried: 503 problem+json, Retry-After."""
    if response.status_code in (200, 201):
        return True
    return (
        response.status_code == 503
        and response["Content-Type"] == "application/problem+json"
        and int(response["Retry-After"]) > 0
    )


def test_api_calls_go_on_while_the_broker_hangs_and_dies_and_every_event_is_delivered(
    own_redis, merchant, make_endpoint, receiver, monkeypatch, tmp_path
):
    make_endpoint()
    api = api_client(merchant)
    env = {"CELERY_BROKER_URL": own_redis.url, "REDIS_URL": own_redis.url}
    worker = celery_worker_start(env=env, log=tmp_path / "worker.log")
    answers = []
    try:
        answers += paid_order(api)
        wait_for(lambda: not undelivered_events(merchant), timeout=30)
        own_redis.hang()
        answers += paid_order(api)
        own_redis.kill()
        answers += paid_order(api)
        own_redis.start()  # back, empty: every message sent before is gone
        answers += paid_order(api)
        sweep_now(monkeypatch)
        wait_for(lambda: not undelivered_events(merchant), timeout=60)
    finally:
        celery_worker_stop(worker)

    assert all(_answer_ok(a) for a in answers if a is not None), [
        (a.status_code, a.content[:200]) for a in answers if a is not None
    ]
    assert sum(a is not None and a.status_code == 201 for a in answers) >= 2  # one paid at least
    events = {r.headers["webhook-id"] for r in receiver.requests}
    assert not undelivered_events(merchant) and events
    assert_invariants_command()
