"""`make mutation`'s verdicts outlive `mutants/` (issue 26, point 4): saved into a committed file,
keyed by mutant and by mutmut's hash of the mutated function, and put back into `mutants/*.meta`
for the functions that did not change, so a fresh clone tries only new or changed mutants."""

import importlib
import json

from mutmut.mutation.data import SourceFileMutationData
from mutmut.mutation.file_mutation import compute_function_hashes

mutation = importlib.import_module("scripts.mutation")

SOURCE = "def add(a, b):\n    return a + b\n\n\ndef half(a):\n    return a // 2\n"
KILLED, SURVIVED, NO_TESTS, INTERRUPTED = 1, 0, 33, 2


def _project(tmp_path, source=SOURCE):
    (tmp_path / "pyproject.toml").write_text('[tool.mutmut]\nonly_mutate = ["calc/ops.py"]\n')
    (tmp_path / "calc").mkdir(exist_ok=True)
    (tmp_path / "calc" / "ops.py").write_text(source)
    return tmp_path


def _meta(root, exit_codes, source=SOURCE):
    """A `.meta` as mutmut 3.8 writes it, for mutants generated from `source`."""
    path = root / "mutants" / "calc" / "ops.py.meta"
    path.parent.mkdir(parents=True, exist_ok=True)
    meta = {
        "exit_code_by_key": exit_codes,
        "hash_by_function_name": compute_function_hashes(source),
        "type_check_error_by_key": {},
        "durations_by_key": {},
        "estimated_durations_by_key": {},
    }
    path.write_text(json.dumps(meta))
    return path


def _saved(root):
    return json.loads((root / "scripts" / "mutation-verdicts.json").read_text())


def test_save_keeps_every_decided_verdict_with_its_functions_hash_and_no_untried_one(tmp_path):
    root = _project(tmp_path)
    _meta(
        root,
        {
            "calc.ops.x_half__mutmut_2": SURVIVED,
            "calc.ops.x_add__mutmut_1": KILLED,
            "calc.ops.x_half__mutmut_1": None,
            "calc.ops.x_half__mutmut_3": INTERRUPTED,
        },
    )

    assert mutation.verdicts_save(root) == (2, 4)

    entry = _saved(root)["files"]["calc/ops.py"]
    assert entry["exit_code_by_key"] == {
        "calc.ops.x_add__mutmut_1": KILLED,
        "calc.ops.x_half__mutmut_2": SURVIVED,
    }
    assert list(entry["exit_code_by_key"]) == sorted(entry["exit_code_by_key"])
    assert entry["hash_by_function_name"] == compute_function_hashes(SOURCE)


def test_a_fresh_clone_gets_the_verdicts_back_in_a_meta_mutmut_reads(tmp_path, monkeypatch):
    root = _project(tmp_path)
    _meta(root, {"calc.ops.x_add__mutmut_1": KILLED, "calc.ops.x_half__mutmut_1": NO_TESTS})
    mutation.verdicts_save(root)
    (root / "mutants" / "calc" / "ops.py.meta").unlink()
    (root / "mutants" / "calc" / "ops.py").write_text("# a stale mutated copy")

    assert mutation.verdicts_restore(root) == 2

    monkeypatch.chdir(root)
    data = SourceFileMutationData(path="calc/ops.py")
    data.load()
    assert data.exit_code_by_key == {
        "calc.ops.x_add__mutmut_1": KILLED,
        "calc.ops.x_half__mutmut_1": NO_TESTS,
    }
    assert data.hash_by_function_name == compute_function_hashes(SOURCE)
    assert not (root / "mutants" / "calc" / "ops.py").exists()  # mutmut generates it anew


def test_the_verdicts_of_a_changed_function_are_neither_restored_nor_saved_again(tmp_path):
    root = _project(tmp_path)
    _meta(root, {"calc.ops.x_add__mutmut_1": KILLED, "calc.ops.x_half__mutmut_1": KILLED})
    mutation.verdicts_save(root)
    (root / "mutants" / "calc" / "ops.py.meta").unlink()
    _project(root, SOURCE.replace("a // 2", "a // 3"))

    assert mutation.verdicts_restore(root) == 1
    meta = json.loads((root / "mutants" / "calc" / "ops.py.meta").read_text())
    assert meta["exit_code_by_key"] == {"calc.ops.x_add__mutmut_1": KILLED}
    assert set(meta["hash_by_function_name"]) == {"x_add"}

    (root / "mutants" / "calc" / "ops.py.meta").unlink()
    mutation.verdicts_save(root)
    assert _saved(root)["files"]["calc/ops.py"]["exit_code_by_key"] == {
        "calc.ops.x_add__mutmut_1": KILLED
    }


def test_restore_fills_only_the_mutants_the_current_run_has_not_tried(tmp_path):
    root = _project(tmp_path)
    _meta(root, {"calc.ops.x_add__mutmut_1": SURVIVED, "calc.ops.x_add__mutmut_2": KILLED})
    mutation.verdicts_save(root)
    _meta(root, {"calc.ops.x_add__mutmut_1": KILLED, "calc.ops.x_add__mutmut_2": None})

    assert mutation.verdicts_restore(root) == 1

    meta = json.loads((root / "mutants" / "calc" / "ops.py.meta").read_text())
    assert meta["exit_code_by_key"] == {
        "calc.ops.x_add__mutmut_1": KILLED,
        "calc.ops.x_add__mutmut_2": KILLED,
    }


def test_a_run_that_has_not_reached_a_mutant_keeps_its_saved_verdict(tmp_path):
    root = _project(tmp_path)
    _meta(root, {"calc.ops.x_add__mutmut_1": KILLED, "calc.ops.x_half__mutmut_1": SURVIVED})
    mutation.verdicts_save(root)
    _meta(root, {"calc.ops.x_add__mutmut_1": None, "calc.ops.x_half__mutmut_1": KILLED})

    mutation.verdicts_save(root)

    assert _saved(root)["files"]["calc/ops.py"]["exit_code_by_key"] == {
        "calc.ops.x_add__mutmut_1": KILLED,
        "calc.ops.x_half__mutmut_1": KILLED,
    }


def test_verdicts_of_another_mutmut_version_are_not_restored(tmp_path):
    root = _project(tmp_path)
    _meta(root, {"calc.ops.x_add__mutmut_1": KILLED})
    mutation.verdicts_save(root)
    saved = _saved(root)
    saved["mutmut"] = "2.0.0"
    (root / "scripts" / "mutation-verdicts.json").write_text(json.dumps(saved))
    (root / "mutants" / "calc" / "ops.py.meta").unlink()

    assert mutation.verdicts_restore(root) == 0
    assert not (root / "mutants" / "calc" / "ops.py.meta").exists()
