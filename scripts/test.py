"""Run the whole suite in its tiers and end with one summary line per tier and a total.

Tier sqlite: every test not marked postgres/redis, on SQLite (the embedded default), eager
Celery, Chromium browser tests.
Tier postgres: the whole suite again on DATABASE_URL (PostgreSQL, what production runs), with
REDIS_URL: the tests marked postgres/redis (row locks, races, a real Celery worker) run only here,
one at a time after the rest (a race test needs the cores to itself), with the tests marked serial.
Unmarked tests run on ``TEST_WORKERS`` pytest-xdist processes (default: the CPU count, at most 4;
1 turns xdist off), a whole file per process so a file's fixtures stay together.
Both run in random order: pytest-randomly prints the seed; pass ``--randomly-seed=N`` through
to replay an order, or ``-p no:randomly`` to turn it off. A tier that cannot
run is named loudly; under CI=true that is a failure.

On PostgreSQL the migrations run once per tier, into a template database; each part's processes
get a fresh copy of it (``CREATE DATABASE … TEMPLATE``, about a second) and open it with
``--reuse-db`` instead of each migrating its own test database (tens of seconds per process).
"""

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
SERVICE_VARS = ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL")


# Tests marked serial cannot run under xdist (e.g. tests sharing one node id, as schemathesis's
# once did): they run in the one-process part of each tier, with the race tests in the postgres
# tier. None is marked at the moment; the sqlite tier's serial part then selects nothing.
PARALLEL = "not postgres and not redis and not serial"
SERIAL = {
    "sqlite": "serial and not postgres and not redis",
    "postgres": "serial or postgres or redis",
}


def workers() -> int:
    return int(os.environ.get("TEST_WORKERS") or min(os.cpu_count() or 1, 4))


class TemplateDatabase:
    """A tier's PostgreSQL test databases, copied from one migrated template.

    pytest-django names a process's test database after Django's (``TEST: NAME``, here
    ``TEST_DB_NAME``, else ``test_`` + NAME), with ``_gw0``, ``_gw1``… under xdist. Each part of
    the tier starts from fresh copies, as a part that migrated its own databases would.
    """

    def __init__(self, env: dict[str, str]):
        import dj_database_url

        self.env = env
        self.config = dj_database_url.parse(env["DATABASE_URL"])
        self.test_name = env.get("TEST_DB_NAME") or f"test_{self.config['NAME']}"
        self.name = f"{self.test_name}_template"
        self.copies: set[str] = set()

    def _execute(self, *statements: str) -> None:
        import psycopg

        c = self.config
        with psycopg.connect(
            dbname="postgres",
            user=c["USER"] or None,
            password=c["PASSWORD"] or None,
            host=c["HOST"] or None,
            port=c["PORT"] or None,
            autocommit=True,
        ) as admin:
            for statement in statements:
                admin.execute(statement)

    def migrate(self) -> None:
        started = time.monotonic()
        self._execute(f'DROP DATABASE IF EXISTS "{self.name}"', f'CREATE DATABASE "{self.name}"')
        url = urlsplit(self.env["DATABASE_URL"])._replace(path=f"/{self.name}").geturl()
        env = {**self.env, "DATABASE_URL": url, "DJANGO_ENV": "test"}
        # --run-syncdb as Django's test runner does, for apps without migrations
        cmd = [sys.executable, "manage.py", "migrate", "--run-syncdb", "--verbosity", "0"]
        subprocess.check_call(cmd, cwd=ROOT, env=env)
        print(f"template database {self.name} migrated in {time.monotonic() - started:.0f}s")

    def copy_for(self, n: int) -> None:
        """Fresh copies for one part's processes: ``n`` xdist processes, or one without xdist."""
        names = [f"{self.test_name}_gw{i}" for i in range(n)] if n > 1 else [self.test_name]
        for name in names:
            self._execute(
                f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',  # a killed run's worker may be on it
                f'CREATE DATABASE "{name}" TEMPLATE "{self.name}"',
            )
        self.copies.update(names)

    def drop(self) -> None:
        names = [*sorted(self.copies), self.name]
        self._execute(*(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)' for name in names))


def run_pytest(
    name: str,
    marker: str,
    env: dict[str, str],
    extra: list[str],
    n: int,
    template: TemplateDatabase | None = None,
) -> dict:
    report = Path(tempfile.mkstemp(prefix="tier-", suffix=".json")[1])
    env = {**env, "TIER_REPORT": str(report), "TEST_TIER": name}
    parallel = ["-n", str(n), "--dist", "loadfile"] if n > 1 else []
    reuse = []
    if template is not None:
        template.copy_for(n)
        reuse = ["--reuse-db"]  # the copies, migrated already
    cmd = [sys.executable, "-m", "pytest", "-m", marker, *parallel, *reuse, *extra]
    print(f"\n==== tier: {name} ({marker}; {n} process{'es' if n > 1 else ''}) ====", flush=True)
    code = subprocess.call(cmd, cwd=ROOT, env=env)
    counts = json.loads(report.read_text() or "{}") if report.stat().st_size else {}
    report.unlink(missing_ok=True)
    counts["exit"] = code
    reported = sum(counts.get(key, 0) for key in ("passed", "failed", "skipped", "error"))
    if counts.get("collected", 0) > reported:  # a worker that stopped early must not pass
        lost = counts["collected"] - reported
        print(f"!!! {name}: {lost} of {counts['collected']} collected tests never reported")
        counts["error"] = counts.get("error", 0) + lost
    return counts


def run_tier(name: str, env: dict[str, str], extra: list[str]) -> dict:
    template = None
    if env.get("DATABASE_URL", "").startswith("postgres"):
        template = TemplateDatabase(env)
        try:
            template.migrate()
        except subprocess.CalledProcessError as exc:
            print(f"!!! {name}: the migrations failed on the template database ({exc})")
            template.drop()
            return {"skipped_tiers": [], "error": 1, "deselected": 0, "exit": 1}
    try:
        runs = [
            run_pytest(name, PARALLEL, env, extra, workers(), template),
            run_pytest(name, SERIAL[name], env, extra, 1, template),
        ]
    finally:
        if template is not None:
            template.drop()
    total: dict = {"skipped_tiers": []}
    for run in runs:
        for key in ("passed", "failed", "skipped", "error"):
            total[key] = total.get(key, 0) + run.get(key, 0)
        total["skipped_tiers"] += run.get("skipped_tiers", [])
    # Each part deselects the other's tests: the tier's deselected tests are those no part ran
    # (the other tier's markers, and what -k left out). Every part collects the same suite.
    suite = runs[0].get("deselected", 0) + runs[0].get("collected", 0)
    total["deselected"] = max(0, suite - sum(run.get("collected", 0) for run in runs))
    # 5: no test selected (e.g. -k matched nothing in one half); not a failure of its own
    total["exit"] = max((r["exit"] for r in runs if r["exit"] != 5), default=5)
    return total


def main() -> int:
    extra = sys.argv[1:]
    ci = os.environ.get("CI", "").lower() == "true"
    # The suite starts hundreds of Python processes (xdist's, manage.py's, workers, servers): with
    # bytecode writing off, each would compile the project's and the tests' modules again.
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    # TEST_DB_NAME names PostgreSQL test databases; on SQLite it would turn the in-memory test
    # databases into files in the working directory.
    base = {k: v for k, v in os.environ.items() if k not in (*SERVICE_VARS, "TEST_DB_NAME")}
    results = {"sqlite": run_tier("sqlite", base, extra)}
    skipped_tiers = list(results["sqlite"].get("skipped_tiers", []))

    if os.environ.get("DATABASE_URL", "").startswith("postgres") and os.environ.get("REDIS_URL"):
        results["postgres"] = run_tier("postgres", dict(os.environ), extra)
        skipped_tiers += results["postgres"].get("skipped_tiers", [])
    else:
        skipped_tiers.append("postgres (set DATABASE_URL=postgres://... and REDIS_URL)")

    passed = sum(r.get("passed", 0) for r in results.values())
    failed = sum(r.get("failed", 0) + r.get("error", 0) for r in results.values())
    skipped = sum(r.get("skipped", 0) for r in results.values())
    exit_codes = [r["exit"] for r in results.values()]
    bad_exit = any(code not in (0, 5) for code in exit_codes)

    print()
    for name, r in results.items():
        print(
            f"{name}: {r.get('passed', 0)} passed, {r.get('failed', 0) + r.get('error', 0)} "
            f"failed, {r.get('skipped', 0)} skipped, {r.get('deselected', 0)} deselected"
        )
    for tier in skipped_tiers:
        print("!" * 78)
        print(f"!!! SKIPPED TIER: {tier}")
    if skipped_tiers:
        print("!" * 78)
    ok = not failed and not bad_exit and passed > 0 and not (ci and skipped_tiers)
    if ci and skipped_tiers:
        print("CI must run every tier: failing because a tier was skipped.")
    deselected = sum(r.get("deselected", 0) for r in results.values())
    print(f"deselected (by -k/-m): {deselected}; tiers skipped: {len(skipped_tiers)}")
    print(f"total: {passed} passed, {failed} failed, {skipped} skipped")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
