"""payments announces events and never imports webhooks: the arrow points one way."""

import ast
from pathlib import Path

import payments


def _imported_modules(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
    return found


def test_no_module_of_payments_imports_webhooks():
    root = Path(payments.__file__).parent
    offenders = {
        str(path.relative_to(root.parent)): sorted(
            m for m in _imported_modules(path) if m == "webhooks" or m.startswith("webhooks.")
        )
        for path in root.rglob("*.py")
    }

    assert {path: mods for path, mods in offenders.items() if mods} == {}
