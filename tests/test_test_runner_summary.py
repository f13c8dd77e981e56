"""`make test`'s summary counts what a tier left out: `scripts/test.py` (issue 18, point 15)."""

import importlib

runner = importlib.import_module("scripts.test")


def _part(collected, deselected, passed, skipped_tiers=()):
    return {
        "collected": collected,
        "deselected": deselected,
        "passed": passed,
        "failed": 0,
        "skipped": 0,
        "error": 0,
        "skipped_tiers": list(skipped_tiers),
        "exit": 0,
    }


def test_a_tier_counts_the_tests_none_of_its_parts_ran(monkeypatch):
    # A suite of 100: 90 run in parallel, 4 serial, 6 (postgres-marked) in neither part.
    parts = iter([_part(90, 10, 90), _part(4, 96, 4, ["postgres (no database)"])])
    monkeypatch.setattr(runner, "run_pytest", lambda *args: next(parts))

    total = runner.run_tier("sqlite", {}, [])

    assert total["deselected"] == 6
    assert total["passed"] == 94
    assert total["skipped_tiers"] == ["postgres (no database)"]


def test_the_summary_prints_deselected_tests_and_skipped_tiers(monkeypatch, capsys):
    monkeypatch.setattr(
        runner,
        "run_tier",
        lambda name, env, extra: {**_part(0, 0, 94), "deselected": 6, "exit": 0},
    )
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setattr(runner.sys, "argv", ["test.py"])

    runner.main()

    out = capsys.readouterr().out
    assert "sqlite: 94 passed, 0 failed, 0 skipped, 6 deselected" in out
    assert "deselected (by -k/-m): 6; tiers skipped: 1" in out
    assert out.rstrip().endswith("total: 94 passed, 0 failed, 0 skipped")
