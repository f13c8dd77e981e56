"""Processes the bench starts (gunicorn, Celery worker, webhook receiver, load generator).

Every process starts in its own session (process group), is registered, and is stopped with its
children by ``Processes.stop_all`` in a ``finally``: SIGTERM to the leader, then SIGKILL to the
whole group after a grace period. ``run.py`` turns SIGTERM/SIGINT into an exception so the ``finally`` always runs.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def process_rss_peak_kb(pid: int) -> int | None:
    """Return a live process's peak RSS (VmHWM) in KiB from /proc, ``None`` if unreadable."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def children_pids(pid: int) -> list[int]:
    """Return the direct children of ``pid`` (gunicorn workers, Celery pool processes)."""
    try:
        tasks = Path(f"/proc/{pid}/task").iterdir()
        pids: list[int] = []
        for task in tasks:
            pids += [int(p) for p in (task / "children").read_text().split()]
        return pids
    except OSError:
        return []


class Processes:
    """A registry of long-running processes, each in its own process group."""

    def __init__(self, log_dir: Path):
        self.log_dir = log_dir
        self.procs: dict[str, subprocess.Popen] = {}

    def start(self, name: str, cmd: list[str], env: dict[str, str]) -> subprocess.Popen:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        with open(self.log_dir / f"{name}.log", "ab") as log:
            proc = subprocess.Popen(
                cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.procs[name] = proc
        return proc

    def log_tail(self, name: str, lines: int = 20) -> str:
        path = self.log_dir / f"{name}.log"
        if not path.exists():
            return ""
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self, name: str, grace: float = 10.0) -> None:
        proc = self.procs.pop(name, None)
        if proc is None:
            return
        if proc.poll() is None:
            # The leader first: gunicorn's master and Celery's main process stop their own
            # workers gracefully (a pool child killed mid-task is a lost task, not a clean stop).
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                pass
        # Whatever is left of the group (a pool child, a stuck worker) goes too.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=5)

    def stop_all(self) -> None:
        for name in list(self.procs):
            self.stop(name)


def wait_http(url: str, proc: subprocess.Popen, timeout: float = 30.0) -> None:
    """Wait until ``url`` answers 200, failing early if ``proc`` has exited."""
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before {url} answered")
        try:
            response = httpx.get(url, timeout=2)
            if response.status_code == 200:
                return
            last = f"HTTP {response.status_code}"
        except httpx.HTTPError as err:
            last = str(err)
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer 200 within {timeout:.0f}s ({last})")


def gunicorn(
    procs: Processes, *, name: str, env: dict[str, str], port: int, workers: int = 2
) -> subprocess.Popen:
    """Start gunicorn (sync workers) on the production WSGI app and wait for /healthz."""
    cmd = [
        PY, "-m", "gunicorn", "merchant_portal.wsgi:application",
        "--workers", str(workers), "--worker-class", "sync",
        "--bind", f"127.0.0.1:{port}", "--backlog", "2048",
        "--timeout", "60", "--graceful-timeout", "5", "--log-level", "warning",
    ]  # fmt: skip
    proc = procs.start(name, cmd, env)
    try:
        wait_http(f"http://127.0.0.1:{port}/healthz", proc)
    except RuntimeError as err:
        raise RuntimeError(f"{err}\n{procs.log_tail(name)}") from None
    return proc


def loadgen(spec: dict, *, timeout: float | None = None) -> dict:
    """Run the load generator in its own process and return its JSON result."""
    budget = timeout or float(spec.get("warmup", 2)) + float(spec["duration"]) + 60
    done = subprocess.run(
        [PY, "-m", "bench.loadgen"],
        cwd=ROOT,
        input=json.dumps(spec),
        capture_output=True,
        text=True,
        timeout=budget,
        start_new_session=True,
    )
    if done.returncode != 0:
        raise RuntimeError(f"load generator failed: {done.stderr[-2000:]}")
    return json.loads(done.stdout)
