"""`make mutation` copies the apps named in [tool.mutmut] into mutants/ and runs Django there:
an app missing from that list breaks the run before a single mutant is tried."""

import tomllib

from tests.test_architecture import NOT_APPS, ROOT


def test_the_mutation_run_copies_every_app():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mutmut"]
    apps = {
        path.name
        for path in ROOT.iterdir()
        if (path / "__init__.py").exists() and path.name not in NOT_APPS
    }
    assert set(config["source_paths"]) == apps


def test_every_mutated_file_exists_inside_the_copied_apps():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mutmut"]
    for path in config["only_mutate"]:
        assert (ROOT / path).is_file(), path
        assert path.split("/")[0] in config["source_paths"], path
