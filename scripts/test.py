"""Run the whole suite in its tiers and end with one summary line per tier and a total.

Tier sqlite: every test not marked postgres/redis, on SQLite (the embedded default), eager
Celery, Chromium browser tests.
Tier postgres: the whole suite again on DATABASE_URL (PostgreSQL, what production runs), with
REDIS_URL: the tests marked postgres/redis (row locks, races, a real Celery worker) run only here.
Both run in random order: pytest-randomly prints the seed; pass ``--randomly-seed=N`` through
to replay an order, or ``-p no:randomly`` to turn it off. A tier that cannot
run is named loudly; under CI=true that is a failure.
"""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SERVICE_VARS = ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL")


def run_tier(name: str, marker: str, env: dict[str, str], extra: list[str]) -> dict:
    report = Path(tempfile.mkstemp(prefix="tier-", suffix=".json")[1])
    env = {**env, "TIER_REPORT": str(report), "TEST_TIER": name}
    cmd = [sys.executable, "-m", "pytest", *(["-m", marker] if marker else []), *extra]
    print(f"\n==== tier: {name} ====", flush=True)
    code = subprocess.call(cmd, cwd=ROOT, env=env)
    counts = json.loads(report.read_text() or "{}") if report.stat().st_size else {}
    report.unlink(missing_ok=True)
    counts["exit"] = code
    return counts


def main() -> int:
    extra = sys.argv[1:]
    ci = os.environ.get("CI", "").lower() == "true"
    base = {k: v for k, v in os.environ.items() if k not in SERVICE_VARS}
    results = {"sqlite": run_tier("sqlite", "not postgres and not redis", base, extra)}
    skipped_tiers = list(results["sqlite"].get("skipped_tiers", []))

    if os.environ.get("DATABASE_URL", "").startswith("postgres") and os.environ.get("REDIS_URL"):
        results["postgres"] = run_tier("postgres", "", dict(os.environ), extra)
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
            f"failed, {r.get('skipped', 0)} skipped"
        )
    for tier in skipped_tiers:
        print("!" * 78)
        print(f"!!! SKIPPED TIER: {tier}")
    if skipped_tiers:
        print("!" * 78)
    ok = not failed and not bad_exit and passed > 0 and not (ci and skipped_tiers)
    if ci and skipped_tiers:
        print("CI must run every tier: failing because a tier was skipped.")
    print(f"total: {passed} passed, {failed} failed, {skipped} skipped")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
