"""Compile the checkout's translations (``locale/*/LC_MESSAGES/django.po``) into ``.mo`` files
with Babel, so that no gettext tools are needed (``msgfmt`` is often missing).

Run after editing a ``.po`` file: ``.venv/bin/python scripts/compile_messages.py``; the ``.mo``
files are committed. ``tests/checkout/test_checkout_translations.py`` fails when one is stale.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALE = Path(__file__).resolve().parent.parent / "locale"


def compiled(po_path: Path) -> bytes:
    """Return the ``.mo`` bytes of a ``.po`` file (fuzzy entries left out, as msgfmt does)."""
    with po_path.open("rb") as po:
        catalog = read_po(po)
    out = io.BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


def main() -> int:
    for po_path in sorted(LOCALE.glob("*/LC_MESSAGES/django.po")):
        po_path.with_suffix(".mo").write_bytes(compiled(po_path))
        print(po_path.with_suffix(".mo").relative_to(LOCALE.parent))  # noqa: T201
    return 0


if __name__ == "__main__":
    sys.exit(main())
