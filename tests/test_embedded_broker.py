"""The embedded broker `make run` uses: a SQLite file under var/, no server to install."""

import os
import sqlite3
import subprocess
import sys
import time
import uuid

from tests.test_configuration_defaults import _CONFIG_VARS, ROOT


def _env(var_dir) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in _CONFIG_VARS}
    env.update(VAR_DIR=str(var_dir), CELERY_TASK_ALWAYS_EAGER="false", DJANGO_ENV="local")
    return env


def _wait_for_line(path, text: str, timeout: float = 40.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and text in path.read_text(errors="replace"):
            return True
        time.sleep(0.2)
    return False


def test_a_task_sent_on_the_embedded_broker_is_run_by_a_real_worker(tmp_path):
    env, log = _env(tmp_path), tmp_path / "worker.log"
    token = uuid.uuid4().hex
    send = f"from merchant_portal.celery import ping; ping.delay({token!r})"
    subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", send], cwd=ROOT, env=env, check=True
    )  # sent before any worker runs: the message waits in the file
    with open(log, "wb") as out:
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "merchant_portal", "worker", "-l", "info",
             "-P", "solo", "--without-mingle", "--without-gossip", "--without-heartbeat"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        ran = _wait_for_line(log, f"{token!r}") and _wait_for_line(log, "succeeded in")
    finally:
        worker.terminate()
        worker.wait(timeout=20)

    assert ran, log.read_text(errors="replace")[-2000:]
    with sqlite3.connect(tmp_path / "broker.sqlite3") as broker:
        waiting = broker.execute("SELECT COUNT(*) FROM kombu_message WHERE visible").fetchone()
    assert waiting == (0,)
