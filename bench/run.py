"""`make bench`: measure the product against its limits, each figure beside a baseline, in one run.

Prints a table and writes ``bench/results.json``. Uses PostgreSQL and Redis from ``DATABASE_URL`` /
``REDIS_URL`` (else the local ones on 127.0.0.1); this run's scratch databases
(``bench_run_p<pid>_<host>_*``) are created and dropped here, with those left by runs that
died, and every process started is stopped, whatever happens. See bench/README.md.

Options: ``--only api,micro,webhooks,settlement,billing,b2b`` (``api``: the payments API and the checkout
page), ``--client raw|httpx``, ``--profile`` (py-spy flame graph of the payment flow into
test-output/), ``--budget SECONDS`` (default 2400: the billing figure at its full size takes about 20 minutes).
"""

from __future__ import annotations

import argparse
import os
import platform
import signal
import subprocess
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import (  # noqa: E402
    fig_b2b,
    fig_billing,
    fig_http,
    fig_micro,
    fig_risk,
    fig_settlement,
    fig_webhooks,
)
from bench.context import Bench, Skip  # noqa: E402
from bench.procs import Processes  # noqa: E402
from bench.report import table, write_results  # noqa: E402
from bench.services import locate  # noqa: E402

RESULTS = ROOT / "bench" / "results.json"
FIGURES = {
    "api": ("1+2. payments API and checkout page (HTTP)", fig_http.run),
    "micro": ("5. OTP and validation", fig_micro.run),
    "webhooks": ("4. webhook deliveries", fig_webhooks.run),
    "settlement": ("3. settlement of 1,000,000 payments", fig_settlement.run),
    "billing": ("6. billing: subscriptions on a test clock, 2 workers", fig_billing.run),
    "risk": ("7. risk: 50 active rules", fig_risk.run),
    "b2b": ("8. bulk charges: validate a batch, charge its items, 2 workers", fig_b2b.run),
}


class Interrupted(BaseException):
    pass


def _interrupt(signum, frame):
    raise Interrupted(f"signal {signum}")


def prepare_template(b: Bench) -> str:
    """Create and migrate the schema every figure's scratch database is copied from."""
    template = b.db("template")
    b.pg.create(template)
    env = b.env(template)
    b.manage(env, "migrate", "--no-input", "-v", "0")
    b.manage(env, "collectstatic", "--no-input", "-v", "0")
    return template


def drop_scratch(pg, names: list[str]) -> None:
    for name in names:
        try:
            pg.drop(name)
        except (RuntimeError, ValueError) as err:
            print(f"could not drop {name}: {err}", file=sys.stderr)


def environment(b: Bench, client: str) -> dict:
    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
        return done.stdout.strip()

    import django

    env = {
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "django": django.get_version(),
        "platform": platform.platform(),
        "postgres": None,
        "redis": None,
        "git_commit": git("rev-parse", "HEAD"),
        "git_dirty": bool(git("status", "--porcelain", "--untracked-files=no")),
        "load_generator": b.notes.get(
            "load_generator",
            "raw asyncio HTTP/1.1 (bench/loadgen.py)" if client == "raw" else "httpx.AsyncClient",
        )
        + ", separate process",
        "gunicorn": f"{fig_http.WORKERS} sync workers",
        "clients": fig_http.CLIENTS,
        "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
    }
    if b.pg is not None:
        try:
            env["postgres"] = b.pg.version()
        except RuntimeError as err:
            env["postgres"] = f"unknown ({err})"
    if b.redis is not None:
        try:
            env["redis"] = b.redis.version()
        except Exception as err:  # noqa: BLE001 - reported, not fatal
            env["redis"] = f"unknown ({err})"
    return env


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(FIGURES))
    parser.add_argument("--client", choices=["raw", "httpx"], default="raw")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--budget", type=float, default=float(os.environ.get("BENCH_BUDGET", 2400)))
    args = parser.parse_args()
    only = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = set(only) - set(FIGURES)
    if unknown:
        parser.error(f"unknown figures: {', '.join(sorted(unknown))}")

    started = time.monotonic()
    started_at = datetime.now(UTC)
    load_at_start = [round(x, 2) for x in os.getloadavg()]
    pg, redis, problems = locate()
    b = Bench(
        pg=pg,
        redis=redis,
        procs=Processes(ROOT / "test-output" / "bench-logs"),
        var_dir=ROOT / "var" / "bench",
        # Leave room for cleanup and the report inside the budget.
        deadline=started + args.budget - 20,
        client=args.client,
        profile=args.profile,
    )
    for problem in problems:
        print(f"!!! {problem}: figures needing it are skipped", flush=True)
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGHUP, _interrupt)
    interrupted = None
    try:
        template = None
        if pg is not None:
            # Left by runs killed before their cleanup; another live run's are not touched.
            drop_scratch(pg, pg.stale_scratch_databases())
        if pg is not None and redis is not None:
            print("preparing the scratch schema (migrate, collectstatic)...", flush=True)
            template = prepare_template(b)
        for key in only:
            title, run = FIGURES[key]
            print(f"== {title}", flush=True)
            t0 = time.monotonic()
            try:
                if template is None:
                    raise Skip("needs PostgreSQL and Redis: " + "; ".join(problems))
                run(b, template=template)
            except Skip as err:
                b.skip(title, str(err))
            except Exception as err:  # noqa: BLE001 - one broken figure must not hide the others
                traceback.print_exc()
                b.skip(title, f"failed: {type(err).__name__}: {str(err).splitlines()[0][:300]}")
            finally:
                b.procs.stop_all()
            print(f"   ({time.monotonic() - t0:.0f}s)", flush=True)
    except (KeyboardInterrupt, Interrupted) as err:
        interrupted = str(err) or "keyboard interrupt"
        b.skip("remaining figures", f"interrupted ({interrupted})")
    finally:
        b.procs.stop_all()
        if pg is not None:
            drop_scratch(pg, pg.scratch_databases(b.run))
        if redis is not None:
            redis.flush()

    elapsed = time.monotonic() - started
    write_results(
        RESULTS,
        figures=b.figures,
        skipped=b.skipped,
        environment=environment(b, args.client),
        extra={
            "started_at": started_at.isoformat(timespec="seconds"),
            "duration_s": round(elapsed, 1),
            "figures_run": only,
            "notes": {**b.notes, "load_average_at_start": load_at_start},
        },
    )
    print()
    print(table(b.figures, b.skipped))
    print(f"\n{len(b.figures)} figures in {elapsed:.0f}s; written to {RESULTS.relative_to(ROOT)}")
    return 130 if interrupted else 0


if __name__ == "__main__":
    sys.exit(main())
