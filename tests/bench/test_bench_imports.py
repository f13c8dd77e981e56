"""The bench imports product code inside functions that only `make bench` runs: a renamed
service would show up there alone, at the end of a long run. Checked here instead."""

import ast
import importlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = {"payments", "webhooks", "settlement", "institutions", "ledger", "backoffice", "demo"}


def test_every_product_name_the_bench_imports_exists():
    missing = []
    for path in (ROOT / "bench").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.ImportFrom) or node.level or not node.module:
                continue
            if node.module.split(".")[0] not in PRODUCT:
                continue
            module = importlib.import_module(node.module)
            for alias in node.names:
                if hasattr(module, alias.name):
                    continue
                try:
                    importlib.import_module(f"{node.module}.{alias.name}")
                except ImportError:
                    missing.append(f"{path.relative_to(ROOT)}: {node.module}.{alias.name}")
    assert missing == []
