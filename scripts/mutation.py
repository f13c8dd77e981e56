"""`make mutation`: mutmut over the money core ([tool.mutmut] in pyproject.toml), then the score.

Runs ``mutmut run`` on a fresh copy of the tree in ``mutants/`` (mutmut copies every app there once
and would keep stale copies of files that changed since; ``--resume`` continues an interrupted run
of the same tree instead, trying only the mutants not tried yet; ``--survivors`` keeps
``mutants/`` too and tries again only the mutants that survived, against the tests as they are
now, keeping every other verdict), prints the score and
every surviving mutant, and writes the score with today's date into docs/testing.md between the
``mutation-score`` markers. Score = killed (a test failed, or the mutant hung past its timeout)
over every mutant that was tried; mutants no test reaches count as survivors.
Exit status 1 below the goal (90%).
"""

import json
import os
import re
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MUTMUT = [sys.executable, "-m", "mutmut"]
DOC = ROOT / "docs" / "testing.md"
GOAL = 90.0
SERVICE_VARS = ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL")
MARKERS = ("<!-- mutation-score:start -->", "<!-- mutation-score:end -->")


OUTCOMES = ("killed", "timeout", "survived", "no_tests", "suspicious", "segfault")


def score(stats: dict) -> tuple[int, int, float]:
    caught = stats["killed"] + stats["timeout"]
    tried = sum(stats[key] for key in OUTCOMES)
    return caught, tried, (100.0 * caught / tried if tried else 0.0)


def survivors() -> list[str]:
    """``name: status`` of every mutant not killed (survived, untested, not tried yet...)."""
    out = subprocess.run([*MUTMUT, "results"], cwd=ROOT, capture_output=True, text=True).stdout
    return [line.strip() for line in out.splitlines() if line.strip()]


def survivor_names() -> list[str]:
    """The mutants a test reached without failing: the ones new tests may kill now."""
    return [
        name
        for name, _, status in (line.partition(": ") for line in survivors())
        if status == "survived"
    ]


def write_doc(stats: dict, caught: int, tried: int, percent: float) -> None:
    block = (
        f"{MARKERS[0]}\nLast run {datetime.now(UTC).date().isoformat()}: **{percent:.1f}%** "
        f"({caught} of {tried} mutants killed; {stats['survived']} survived, "
        f"{stats['no_tests']} reached by no test, {stats['timeout']} timed out).\n{MARKERS[1]}"
    )
    text = DOC.read_text()
    pattern = re.compile(re.escape(MARKERS[0]) + ".*?" + re.escape(MARKERS[1]), re.S)
    DOC.write_text(pattern.sub(lambda _: block, text))


def environment() -> dict[str, str]:
    """SQLite, one migrated test database file that every mutant's run reuses (``--reuse-db``)."""
    env = {k: v for k, v in os.environ.items() if k not in SERVICE_VARS}
    return {**env, "TEST_DB_NAME": str(ROOT / "mutants" / "mutation-test.sqlite3")}


def main() -> int:
    args = sys.argv[1:]
    if not any(arg.startswith("--max-children") for arg in args):
        args += ["--max-children", "1"]  # one writer: the mutants share that SQLite file
    if "--survivors" in args:
        args.remove("--survivors")
        names = survivor_names()
        if not names:
            print("no surviving mutant to try again")
        args += names
    elif "--resume" in args:
        args.remove("--resume")
    else:
        shutil.rmtree(ROOT / "mutants", ignore_errors=True)
    code = subprocess.call([*MUTMUT, "run", *args], cwd=ROOT, env=environment())
    if code != 0:
        print(f"mutmut run failed with exit status {code}; no score written")
        return code or 1
    subprocess.check_call([*MUTMUT, "export-cicd-stats"], cwd=ROOT)
    stats = json.loads((ROOT / "mutants" / "mutmut-cicd-stats.json").read_text())
    caught, tried, percent = score(stats)
    if tried < stats["total"] - stats["skipped"]:
        print(f"only {tried} of {stats['total']} mutants were tried; no score written")
        return 1
    print("\nsurviving mutants (`.venv/bin/mutmut show NAME` prints the diff):")
    for name in survivors():
        print(f"  {name}")
    print(f"\nmutation score: {percent:.1f}% ({caught}/{tried} killed; goal {GOAL:.0f}%)")
    write_doc(stats, caught, tried, percent)
    return 0 if percent >= GOAL else 1


if __name__ == "__main__":
    sys.exit(main())
