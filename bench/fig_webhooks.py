"""Figure 4: webhook deliveries per second from a real Celery worker to a local receiver.

The receiver (``bench.receiver``) and the worker are separate processes; deliveries are created
and queued first, then the worker (prefork, its default concurrency: one process per CPU) is
started, and the rate is counted at the receiver between its first and last request. Baseline:
the HTTP part alone, a keep-alive ``httpx.Client`` POSTing the same size of body in one process.
"""

from __future__ import annotations

import os
import time

import httpx

from bench import procs as p
from bench.context import Bench, Skip
from bench.report import Figure, Goal

DELIVERIES = 2000


def _stats(base: str) -> dict:
    return httpx.get(f"{base}/stats", timeout=5).json()


def _post_loop(url: str, seconds: float) -> float:
    """Return POSTs per second of a ~1 KB signed-looking body over one keep-alive connection."""
    body = b'{"id":"evt_x","type":"order.created","data":{"object":' + b'"x"' * 300 + b"}}"
    headers = {"webhook-id": "evt_x", "webhook-timestamp": "0", "webhook-signature": "v1,x"}
    with httpx.Client(timeout=5) as client:
        n, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            client.post(url, content=body, headers=headers).raise_for_status()
            n += 1
    return n / (time.perf_counter() - start)


def run(b: Bench, *, template: str) -> None:
    if b.pg is None or b.redis is None:
        raise Skip("needs PostgreSQL and Redis (a real Celery worker on Redis)")
    b.need(90, "webhook figure")
    db = b.db("hooks")
    b.pg.create(db, template=template)
    port = p.free_port()
    base = f"http://127.0.0.1:{port}"
    env = b.env(db)
    b.redis.flush()
    try:
        receiver = b.procs.start("receiver", [p.PY, "-m", "bench.receiver", str(port)], env)
        p.wait_http(f"{base}/stats", receiver, timeout=10)
        baseline = _post_loop(f"{base}/baseline", 3)
        httpx.get(f"{base}/reset", timeout=5).raise_for_status()
        seed = b.django(
            env, "webhooks-seed", url=f"{base}/hooks", deliveries=DELIVERIES,
            broker_url=b.redis.broker_url, timeout=180,
        )  # fmt: skip
        expected = seed["deliveries"]
        worker = b.procs.start(
            "celery-worker",
            [p.PY, "-m", "celery", "-A", "merchant_portal", "worker", "-l", "warning",
             "-Q", "webhooks", "--without-mingle", "--without-gossip", "-n", f"bench-{os.getpid()}@%h"],
            env,
        )  # fmt: skip
        deadline = time.monotonic() + min(120, max(30, b.remaining() - 30))
        stats = _stats(base)
        while stats["received"] < expected and time.monotonic() < deadline:
            if worker.poll() is not None:
                raise RuntimeError(f"Celery worker exited:\n{b.procs.log_tail('celery-worker')}")
            time.sleep(0.25)
            stats = _stats(base)
        worker_children = len(p.children_pids(worker.pid))
        b.procs.stop("celery-worker")
        stats = _stats(base)
        status = b.django(env, "webhooks-status")
    finally:
        b.procs.stop("receiver")
        b.procs.stop("celery-worker")
        b.redis.flush()
        b.pg.drop(db)

    received = stats["received"]
    # The receiver's clock: first to last delivery, so worker start-up is not counted.
    span = (stats["last"] - stats["first"]) if stats["first"] else None
    db_span = status["last_finished"] - status["first_started"] if status["first_started"] else None
    rate = received / span if span else None
    succeeded = status["by_status"].get("succeeded", 0)
    print(
        f"  webhooks: {received}/{expected} received, {succeeded} succeeded, "
        f"{rate or 0:.0f}/s (HTTP-only baseline {baseline:.0f}/s)",
        flush=True,
    )
    b.add(
        Figure(
            "webhooks: deliveries/s (Celery worker -> receiver)",
            rate,
            "deliveries/s",
            "httpx POST loop alone, 1 process",
            baseline,
            baseline_unit="POSTs/s",
            goal=Goal("min", 400),
            details={
                "deliveries_queued": expected,
                "received": received,
                "signed": stats["signed"],
                "succeeded_in_db": succeeded,
                "deliveries_by_status": status["by_status"],
                "attempts": status["attempts"],
                "receiver_span_s": round(span, 3) if span else None,
                "db_span_s (first attempt start to last finish)": round(db_span, 3)
                if db_span
                else None,
                "worker_pool_processes": worker_children,
                "seed_s": seed["seed_s"],
                "excluded": "event fan-out (event_dispatch_task); measured: delivery tasks only",
            },
        )
    )
    if received < expected or succeeded < expected:
        b.add(
            Figure(
                "webhooks: deliveries missing",
                expected - min(received, succeeded),
                "deliveries",
                goal=Goal("equal", 0),
            )
        )
