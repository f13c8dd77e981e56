"""`make run`: migrate, create demo data once, then run web, Celery workers and beat together.

Two workers: one sends webhooks (queue ``webhooks``), the other does everything else (refunds,
settlement, expiries, sweeps), so a slow receiver never holds up a refund. Ctrl-C stops all. A worker or beat that crashes is started again (with a log line); the
web server ending stops everything. Everything lives under var/ (SQLite database and broker,
generated keys).
"""

import datetime
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
#: Processes started again when they end; a crash loop waits a little longer each time.
RESTARTED = ("worker", "webhooks-worker", "beat")
RESTART_DELAYS = (1, 2, 5, 10, 30)


def manage(*args: str) -> None:
    subprocess.run([PY, "manage.py", *args], cwd=ROOT, check=True)


def commands() -> dict[str, list[str]]:
    celery = [PY, "-m", "celery", "-A", "merchant_portal"]

    def worker(name: str, queues: str) -> list[str]:
        return [
            *celery,
            "worker",
            "-l",
            "info",
            "-Q",
            queues,
            "-n",
            f"{name}@%h",
            "--concurrency",
            "2",
            "--without-mingle",
            "--without-gossip",
            "--without-heartbeat",
        ]

    return {
        "web": [PY, "manage.py", "runserver", f"{HOST}:{PORT}", "--noreload"],
        "worker": worker("worker", "celery,payments,settlement"),
        "webhooks-worker": worker("webhooks", "webhooks"),
        "beat": [*celery, "beat", "-l", "info"],
    }


class Supervisor:
    """Run named commands; start the ``restarted`` ones again when they end, others end all."""

    def __init__(self, commands: dict[str, list[str]], *, restarted=RESTARTED, delays=None):
        self.commands = commands
        self.restarted = restarted
        self.delays = RESTART_DELAYS if delays is None else delays
        self.procs: dict[str, subprocess.Popen] = {}
        self.restarts: dict[str, int] = {name: 0 for name in commands}
        self.due: dict[str, float] = {}

    def start(self, name: str) -> None:
        self.procs[name] = subprocess.Popen(self.commands[name], cwd=ROOT)

    def start_all(self) -> None:
        for name in self.commands:
            self.start(name)

    def check(self, now: float) -> str | None:
        """Restart what is due; return the name of a process whose end ends everything."""
        for name, proc in self.procs.items():
            code = proc.poll()
            if code is None or name in self.due:
                continue
            if name not in self.restarted:
                return name
            delay = self.delays[min(self.restarts[name], len(self.delays) - 1)]
            print(f"{name} ended (exit {code}); starting it again in {delay} s.", flush=True)
            self.due[name] = now + delay
        for name, when in list(self.due.items()):
            if now >= when:
                del self.due[name]
                self.restarts[name] += 1
                self.start(name)
        return None

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 10
        for proc in self.procs.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()


def main() -> int:
    # Started in the background, a shell hands us SIGINT ignored; Ctrl-C / kill -INT must work.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    # Passkeys need a domain as relying-party id: localhost (the browser refuses 127.0.0.1).
    site_host = "localhost" if HOST in ("127.0.0.1", "0.0.0.0") else HOST
    os.environ.setdefault("SITE_URL", f"http://{site_host}:{PORT}")
    manage("migrate", "--no-input", "-v", "0")
    os.environ["_EMBEDDED_DEFAULTS_WARNED"] = "1"  # the first command said it; children needn't
    manage("demo_setup")
    # The ECB's reference rates of the last two years, offline (fx); `manage.py fx_import` loads
    # the whole history since 1999.
    since = datetime.datetime.now(tz=datetime.UTC).date() - datetime.timedelta(days=730)
    manage("fx_import", "--new-only", "--since", since.isoformat())
    supervisor = Supervisor(commands())
    supervisor.start_all()
    print(f"Started web ({os.environ['SITE_URL']}/), Celery workers and beat. Ctrl-C stops all.")
    signal.signal(signal.SIGTERM, lambda *_: (supervisor.stop(), sys.exit(0)))
    try:
        while (ended := supervisor.check(time.monotonic())) is None:
            time.sleep(0.5)
        print(f"Process ended: {ended}; stopping the others.")
        return 1
    except KeyboardInterrupt:
        print("\nStopping web, workers and beat...")
        return 0
    finally:
        supervisor.stop()


if __name__ == "__main__":
    sys.exit(main())
