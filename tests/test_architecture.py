"""The shape of the code that docs/architecture.md promises: allowed imports, no private APIs.

The allowed arrows between our apps are read from the apps table of docs/architecture.md, so a
new arrow needs a change there (and a reason) before CI lets it land.
"""

import ast
import re
import subprocess
import sys
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "architecture.md"
NOT_APPS = {"bench", "scripts", "tests", "docs", "static", "templates", "var"}
MAX_MODULE_LINES = 500
PRIVATE_APIS = re.compile(r"run_on_commit|savepoint_ids|\b_registry\b|_meta\.related_objects")


def _documented_arrows() -> dict[str, set[str]]:
    """Return {package: packages it may import} from the apps table."""
    arrows: dict[str, set[str]] = {}
    for line in DOC.read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 3 or not re.fullmatch(r"`\w+`", cells[0]):
            continue
        package, allowed = cells[0].strip("`"), cells[2]
        arrows[package] = {"*"} if allowed == "every app" else set(re.findall(r"`(\w+)`", allowed))
    return arrows


def _our_packages() -> list[str]:
    return sorted(
        p.parent.name
        for p in ROOT.glob("*/__init__.py")
        if p.parent.name not in NOT_APPS and not p.parent.name.startswith(".")
    )


def _product_modules():
    for package in _our_packages():
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" not in path.parts:
                yield path


def test_every_app_of_ours_has_a_row_in_the_architecture_table():
    assert set(_our_packages()) - set(_documented_arrows()) == set()


def test_the_documented_arrows_have_no_cycle_and_none_points_into_the_project():
    arrows = _documented_arrows()
    graph = {p: allowed - {"*"} for p, allowed in arrows.items()}
    try:
        tuple(TopologicalSorter(graph).static_order())
    except CycleError as err:  # pragma: no cover - the message is the point
        pytest.fail(f"docs/architecture.md allows a cycle: {err.args[1]}")
    assert not [p for p, allowed in arrows.items() if "merchant_portal" in allowed]


def test_apps_import_only_what_the_architecture_allows():
    arrows = _documented_arrows()
    packages = _our_packages()
    graph = grimp.build_graph(*packages, cache_dir=None)
    illegal = []
    for importer in packages:
        allowed = arrows.get(importer, set())
        if "*" in allowed:
            continue
        for imported in packages:
            if imported == importer or imported in allowed:
                continue
            if graph.direct_import_exists(importer=importer, imported=imported, as_packages=True):
                chain = graph.find_shortest_chain(importer=importer, imported=imported)
                illegal.append(f"{importer} -> {imported} ({' -> '.join(chain or ())})")
    assert illegal == []


def test_product_code_and_its_tests_use_no_private_django_api():
    found = []
    tests = [p for p in (ROOT / "tests").rglob("*.py") if p.name != Path(__file__).name]
    for path in [*_product_modules(), *tests]:
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if PRIVATE_APIS.search(line):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert found == []


def test_product_modules_stay_small_enough_to_read():
    long = [
        f"{path.relative_to(ROOT)}: {count} lines"
        for path in _product_modules()
        if (count := len(path.read_text().splitlines())) > MAX_MODULE_LINES
    ]
    assert long == []


def test_raw_sql_lives_only_in_sql_modules():
    """A cursor or ``raw()`` outside ``<app>/sql.py`` is a statement the ORM should build."""
    found = []
    for path in _product_modules():
        if path.name == "sql.py":
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in ("cursor", "raw", "extra"):
                if isinstance(node.ctx, ast.Load):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}: .{node.attr}")
    assert found == []


def test_the_readme_links_the_architecture():
    assert "docs/architecture.md" in (ROOT / "README.md").read_text()


def test_the_arrow_check_catches_a_new_arrow(tmp_path):
    """The graph check sees an import inside a function, not only at the top of a module."""
    for name, body in {
        "low": "def f():\n    from high import thing\n",
        "high": "thing = 1\n",
    }.items():
        (tmp_path / name).mkdir()
        (tmp_path / name / "__init__.py").write_text(body)
    script = (
        "import grimp, sys; sys.path.insert(0, sys.argv[1]);"
        "g = grimp.build_graph('low', 'high', cache_dir=None);"
        "print(g.direct_import_exists(importer='low', imported='high', as_packages=True))"
    )
    out = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "True"
