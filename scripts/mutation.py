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

Verdicts outlive ``mutants/``: every run saves them into ``scripts/mutation-verdicts.json``
(committed), in mutmut's own terms: each file's ``exit_code_by_key`` (mutant name -> mutmut exit
code) and the ``hash_by_function_name`` of the functions they were reached in (mutmut's hash of
the function's AST, as it is in the tree). Before mutmut starts, the verdicts of functions whose
hash is unchanged go back into ``mutants/*.meta``, where mutmut's own incremental mode keeps them:
only the mutants of new or changed functions run. ``--save`` saves what ``mutants/`` holds now
(a run stopped from outside); ``--all`` ignores the saved verdicts and tries every mutant.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from datetime import UTC, datetime
from pathlib import Path

from mutmut import __version__ as MUTMUT_VERSION
from mutmut.mutation.file_mutation import compute_function_hashes
from mutmut.utils.format_utils import mangled_name_from_mutant_name

ROOT = Path(__file__).resolve().parent.parent
MUTMUT = [sys.executable, "-m", "mutmut"]
DOC = ROOT / "docs" / "testing.md"
GOAL = 90.0
SERVICE_VARS = ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL")
MARKERS = ("<!-- mutation-score:start -->", "<!-- mutation-score:end -->")
VERDICTS = ROOT / "scripts" / "mutation-verdicts.json"
# mutmut's exit codes that are no verdict: not tried yet, or stopped by Ctrl-C or a SIGKILL.
NO_VERDICT = (None, 2, -9)
SAVE_EVERY = 300  # seconds: the verdicts file follows a long run


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
    """The mutants a test reached without failing, or no test reached: new tests may kill them."""
    return [
        name
        for name, _, status in (line.partition(": ") for line in survivors())
        if status in ("survived", "no tests")
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


def mutated_files(root: Path = ROOT) -> list[str]:
    return tomllib.loads((root / "pyproject.toml").read_text())["tool"]["mutmut"]["only_mutate"]


def function_of(mutant: str) -> str:
    """``ledger.services.x_post__mutmut_3`` -> ``x_post``, the key of mutmut's function hashes."""
    return mangled_name_from_mutant_name(mutant).rpartition(".")[2]


def tree_hashes(root: Path, path: str) -> dict[str, str]:
    """mutmut's hash of every function of ``path`` as it is in the tree now."""
    return compute_function_hashes((root / path).read_text())


def meta_read(root: Path, path: str) -> dict | None:
    try:
        return json.loads((root / "mutants" / f"{path}.meta").read_text())
    except (FileNotFoundError, json.JSONDecodeError):  # none yet, or mutmut is writing it
        return None


def verdicts_read(root: Path = ROOT) -> dict:
    target = root / VERDICTS.relative_to(ROOT)
    if not target.exists():
        return {"mutmut": MUTMUT_VERSION, "files": {}}
    return json.loads(target.read_text())


def verdicts_save(root: Path = ROOT) -> tuple[int, int]:
    """Write every verdict that holds for the tree as it is: ``mutants/``' first, then the file's.

    A verdict holds while the hash of its function is the tree's. Returns (verdicts, mutants).
    """
    saved = verdicts_read(root)
    same_mutmut = saved["mutmut"] == MUTMUT_VERSION
    files, kept, known = {}, 0, 0
    for path in mutated_files(root):
        tree = tree_hashes(root, path)
        sources = [meta_read(root, path) or {}]
        if same_mutmut:
            sources.append(saved["files"].get(path, {}))
        verdicts: dict[str, int] = {}
        for source in sources:
            hashes = source.get("hash_by_function_name", {})
            for mutant, code in source.get("exit_code_by_key", {}).items():
                function = function_of(mutant)
                if code in NO_VERDICT or hashes.get(function) != tree.get(function):
                    continue
                verdicts.setdefault(mutant, code)
        known += len((sources[0]).get("exit_code_by_key", {}))
        functions = {function_of(mutant) for mutant in verdicts}
        files[path] = {
            "hash_by_function_name": {f: tree[f] for f in sorted(functions)},
            "exit_code_by_key": dict(sorted(verdicts.items())),
        }
        kept += len(verdicts)
    target = root / VERDICTS.relative_to(ROOT)
    target.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps({"mutmut": MUTMUT_VERSION, "files": files}, indent=1, sort_keys=True)
    target.write_text(text + "\n")
    return kept, known


def verdicts_restore(root: Path = ROOT) -> int:
    """Put the saved verdicts of unchanged functions into ``mutants/*.meta`` for mutmut.

    Where a file has no ``.meta`` yet (a fresh clone, a fresh run), the ``.meta`` written holds
    those verdicts and their functions' hashes: mutmut, generating the file's mutants, keeps the
    verdict of every mutant whose function's hash it finds unchanged. Where it has one, only the
    mutants it has not tried get the saved verdict. Returns how many verdicts were restored.
    """
    saved = verdicts_read(root)
    if saved["mutmut"] != MUTMUT_VERSION:  # another mutmut may number a function's mutants apart
        print(f"verdicts saved by mutmut {saved['mutmut']}, not {MUTMUT_VERSION}: none restored")
        return 0
    restored = 0
    for path in mutated_files(root):
        entry = saved["files"].get(path)
        if not entry:
            continue
        tree = tree_hashes(root, path)
        hashes = {f: h for f, h in entry["hash_by_function_name"].items() if tree.get(f) == h}
        verdicts = {
            mutant: code
            for mutant, code in entry["exit_code_by_key"].items()
            if function_of(mutant) in hashes
        }
        meta_path = root / "mutants" / f"{path}.meta"
        meta = meta_read(root, path)
        if meta is None:
            meta = {
                "exit_code_by_key": verdicts,
                "hash_by_function_name": hashes,
                "type_check_error_by_key": {},
                "durations_by_key": {},
                "estimated_durations_by_key": {},
            }
            (root / "mutants" / path).unlink(missing_ok=True)  # mutmut generates it anew
            restored += len(verdicts)
        else:
            for mutant, code in verdicts.items():
                function = function_of(mutant)
                current = meta["exit_code_by_key"].get(mutant, 0)
                if (
                    current is None
                    and meta["hash_by_function_name"].get(function) == hashes[function]
                ):
                    meta["exit_code_by_key"][mutant] = code
                    restored += 1
        meta_path.parent.mkdir(parents=True, exist_ok=True)
        meta_path.write_text(json.dumps(meta, indent=4))
    return restored


def save() -> int:
    kept, known = verdicts_save()
    print(f"{kept} verdicts saved to {VERDICTS.relative_to(ROOT)} ({known} mutants in mutants/)")
    return 0


def run(args: list[str]) -> int:
    """``mutmut run``, saving the verdicts as it goes and once it stops, Ctrl-C included."""
    process = subprocess.Popen([*MUTMUT, "run", *args], cwd=ROOT, env=environment())
    try:
        while True:
            try:
                return process.wait(timeout=SAVE_EVERY)
            except subprocess.TimeoutExpired:
                verdicts_save()
            except KeyboardInterrupt:  # mutmut had the same Ctrl-C: it stops its workers
                return process.wait()
    finally:
        save()


def main() -> int:
    args = sys.argv[1:]
    if "--save" in args:
        return save()
    if not any(arg.startswith("--max-children") for arg in args):
        args += ["--max-children", "1"]  # one writer: the mutants share that SQLite file
    if "--resume" in args or "--survivors" in args:
        restored = verdicts_restore()
    else:
        shutil.rmtree(ROOT / "mutants", ignore_errors=True)
        restored = 0 if "--all" in args else verdicts_restore()
    print(f"{restored} verdicts restored from {VERDICTS.relative_to(ROOT)}")
    if "--survivors" in args:
        args.remove("--survivors")
        names = survivor_names()
        if not names:
            print("no surviving mutant to try again")
        args += names
    for flag in ("--resume", "--all"):
        if flag in args:
            args.remove(flag)
    code = run(args)
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
