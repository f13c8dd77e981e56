"""Past one machine: two web processes and two Celery workers on one PostgreSQL, through
PgBouncer in transaction mode, keep every money invariant (docs/capacity.md).

Each web process is its own gunicorn (a process group) on its own port; the workers are separate
Celery processes consuming the same Redis broker. Requests are spread over both web processes
at once: a burst of payments, the same Idempotency-Key sent to both, and concurrent refunds of
one payment whose processing the workers share.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from django.db import connection

from merchant_portal.invariants import all_violations
from payments.models import Order, Payment, Refund
from payments.services import api_key_create
from tests.conftest import celery_worker_start, celery_worker_stop

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not shutil.which("pgbouncer"), reason="needs Debian's pgbouncer"),
]

ROOT = Path(__file__).resolve().parent.parent
CARD = {
    "number": "4242424242424242",
    "exp_month": 12,
    "exp_year": 2035,
    "cvc": "123",
    "holder_name": "Ada Lovelace",
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_port(port: int, proc: subprocess.Popen, what: str, path: str | None = None) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}")
        try:
            if path is None:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            else:
                httpx.get(f"http://127.0.0.1:{port}{path}", timeout=2)
            return
        except (OSError, httpx.HTTPError):
            time.sleep(0.2)
    raise RuntimeError(f"{what} did not start")


def _stop(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=15)
    except ProcessLookupError:
        return
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=15)


@pytest.fixture
def pgbouncer():
    """PgBouncer in transaction mode in front of the test database's server; yield its port."""
    db = connection.settings_dict
    work = Path(tempfile.mkdtemp(prefix="pgbouncer-"))
    work.chmod(0o755)  # PgBouncer drops root for the postgres user, which reads its files
    port = _free_port()
    (work / "users.txt").write_text(f'"{db["USER"]}" ""\n')
    (work / "pgbouncer.ini").write_text(
        f"[databases]\n* = host={db['HOST'] or '127.0.0.1'} port={db['PORT'] or 5432}\n"
        f"[pgbouncer]\nlisten_addr = 127.0.0.1\nlisten_port = {port}\nauth_type = trust\n"
        f"auth_file = {work}/users.txt\npool_mode = transaction\nmax_client_conn = 200\n"
        "default_pool_size = 20\nunix_socket_dir =\n"
        "ignore_startup_parameters = extra_float_digits,options\n"
    )
    for name in ("users.txt", "pgbouncer.ini"):
        (work / name).chmod(0o644)
    as_user = ["-u", "postgres"] if os.geteuid() == 0 else []
    log = open(work / "pgbouncer.log", "wb")  # noqa: SIM115 - open while the process runs
    proc = subprocess.Popen(
        ["pgbouncer", *as_user, str(work / "pgbouncer.ini")],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        _wait_port(port, proc, "pgbouncer")
        yield port
    finally:
        _stop(proc)
        log.close()
        shutil.rmtree(work, ignore_errors=True)


@pytest.fixture
def cluster(pgbouncer):
    """Two gunicorn web processes and two Celery workers, every one through PgBouncer."""
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@127.0.0.1:{pgbouncer}/{db['NAME']}"
    env = {
        "DATABASE_URL": url,
        # PgBouncer 1.18 in transaction mode cannot keep server-side prepared statements.
        "DATABASE_PREPARED_STATEMENTS": "false",
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "DJANGO_ENV": "local",
    }
    out = Path(os.environ.get("TEST_OUTPUT_DIR", "test-output"))
    out.mkdir(parents=True, exist_ok=True)
    webs, workers, ports = [], [], []
    try:
        for n in range(2):
            port = _free_port()
            full_env = {**os.environ, **env}
            full_env.pop("TEST_DB_NAME", None)
            log = open(out / f"scale-out-web{n}.log", "ab")  # noqa: SIM115
            web = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "merchant_portal.wsgi:application",
                 "--workers", "2", "--bind", f"127.0.0.1:{port}", "--log-level", "warning"],
                cwd=ROOT, env=full_env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
            webs.append(web)
            ports.append(port)
        for n in range(2):
            workers.append(celery_worker_start(env=env, log=out / f"scale-out-worker{n}.log"))
        for web, port in zip(webs, ports, strict=True):
            _wait_port(port, web, "gunicorn", path="/healthz")
        yield [f"http://127.0.0.1:{port}" for port in ports]
    finally:
        for web in webs:
            _stop(web)
        for worker in workers:
            celery_worker_stop(worker)


def test_two_web_processes_and_two_workers_keep_every_invariant(cluster, merchant):
    _, key = api_key_create(merchant=merchant)
    headers = {"Authorization": f"Bearer {key}"}
    clients = [httpx.Client(base_url=base, headers=headers, timeout=30) for base in cluster]

    def pay(n: int, *, key: str | None = None, amount: int = 1000) -> httpx.Response:
        body = {
            "amount": amount,
            "currency": "USD",
            "reference": f"burst-{n}" if key is None else f"same-{key}",
            "payment_method": {"type": "card", "card": CARD},
        }
        return clients[n % 2].post(
            "/api/v1/payments", json=body, headers={"Idempotency-Key": key or f"burst-{n}"}
        )

    with ThreadPoolExecutor(max_workers=16) as pool:
        # A burst of 40 payments over both web processes.
        burst = list(pool.map(pay, range(40)))
        # Each of 10 keys sent to both web processes at once: one order per key.
        same = list(pool.map(lambda n: pay(n, key=f"k{n // 2}"), range(20)))

    assert [r.status_code for r in burst] == [201] * 40
    assert {r.json()["payment"]["status"] for r in burst} == {"captured"}
    assert all(r.status_code in (201, 409) for r in same), [r.text for r in same]
    for n in range(10):
        assert Order.objects.filter(reference=f"same-k{n}").count() == 1
    paid_once = {r.json()["payment"]["id"] for r in same if r.status_code == 201}
    assert len(paid_once) == 10

    # 20 refunds of 150 of one 1000 payment at once, over both web processes: at most 6 fit.
    payment_id = burst[0].json()["payment"]["id"]

    def refund(n: int) -> httpx.Response:
        return clients[n % 2].post(
            f"/api/v1/payments/{payment_id}/refunds",
            json={"amount": 150},
            headers={"Idempotency-Key": f"refund-{n}"},
        )

    with ThreadPoolExecutor(max_workers=20) as pool:
        refunds = list(pool.map(refund, range(20)))
    created = [r for r in refunds if r.status_code == 201]
    assert 1 <= len(created) <= 6
    # The others are refused as too much (400 on ``amount``) or as racing a refund (409).
    refused = [r for r in refunds if r.status_code != 201]
    assert {r.status_code for r in refused} <= {400, 409}, [r.text for r in refused]
    assert all(r.json()["errors"][0]["field"] == "amount" for r in refused if r.status_code == 400)

    # The workers process the refunds (each once) from the database's queue of record.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if not Refund.objects.filter(status="pending").exists():
            break
        time.sleep(0.5)
    assert set(Refund.objects.values_list("status", flat=True)) == {"succeeded"}
    payment = Payment.objects.get(public_id=payment_id)
    assert payment.amount_refunded == 150 * len(created) <= payment.amount_captured
    assert all_violations() == []
