"""`make run`: migrate, create demo data once, then run web, Celery worker and beat together.

Ctrl-C stops all three. Everything lives under var/ (SQLite, filesystem broker, generated keys).
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
HOST = os.environ.get("HOST", "127.0.0.1")
PORT = os.environ.get("PORT", "8000")


def manage(*args: str) -> None:
    subprocess.run([PY, "manage.py", *args], cwd=ROOT, check=True)


def main() -> int:
    # Started in the background, a shell hands us SIGINT ignored; Ctrl-C / kill -INT must work.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    os.environ.setdefault("SITE_URL", f"http://{HOST}:{PORT}")
    manage("migrate", "--no-input", "-v", "0")
    os.environ["_EMBEDDED_DEFAULTS_WARNED"] = "1"  # the first command said it; children needn't
    manage("demo_setup")
    celery = [PY, "-m", "celery", "-A", "merchant_portal"]
    commands = {
        "web": [PY, "manage.py", "runserver", f"{HOST}:{PORT}", "--noreload"],
        "worker": [
            *celery,
            "worker",
            "-l",
            "info",
            "--concurrency",
            "2",
            "--without-mingle",
            "--without-gossip",
            "--without-heartbeat",
        ],
        "beat": [*celery, "beat", "-l", "info"],
    }
    procs = {name: subprocess.Popen(cmd, cwd=ROOT) for name, cmd in commands.items()}
    print(f"Started web (http://{HOST}:{PORT}/), Celery worker and Celery beat. Ctrl-C stops all.")

    def stop(*_):
        for proc in procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 10
        for proc in procs.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()

    signal.signal(signal.SIGTERM, lambda *_: (stop(), sys.exit(0)))
    try:
        while all(p.poll() is None for p in procs.values()):
            time.sleep(0.5)
        dead = [n for n, p in procs.items() if p.poll() is not None]
        print(f"Process ended: {', '.join(dead)}; stopping the others.")
        return 1
    except KeyboardInterrupt:
        print("\nStopping web, worker and beat...")
        return 0
    finally:
        stop()


if __name__ == "__main__":
    sys.exit(main())
