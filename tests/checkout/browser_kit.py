"""Shared pieces of the checkout's browser tests: Chromium, the two screen sizes the issue
names, screenshots in ``test-output/screens/`` and axe-core's verdict."""

from __future__ import annotations

import os
from pathlib import Path

from tests.conftest import CHROMIUM

SCREENS = Path(os.environ.get("TEST_OUTPUT_DIR", "test-output")) / "screens"
SIZES = {"desktop": (1280, 800), "phone": (390, 844)}
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"]
# axe-core impacts that fail a page; "moderate" and "minor" are reported in the assertion only.
BLOCKING = ("serious", "critical")


def launch(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)


def new_page(browser, size: str, problems: list, **context_options):
    width, height = SIZES[size]
    options = {"viewport": {"width": width, "height": height}, **context_options}
    if size == "phone":
        options.update(is_mobile=True, has_touch=True, device_scale_factor=2)
    context = browser.new_context(**options)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.on(
        "console",
        lambda msg: (
            problems.append(f"{msg.type}: {msg.text}")
            if msg.type == "error" or "Content Security Policy" in msg.text
            else None
        ),
    )
    page.on("pageerror", lambda exc: problems.append(f"pageerror: {exc}"))
    return page


def screen(page, name: str, size: str) -> Path:
    """Save a full-page screenshot as ``test-output/screens/checkout-<name>-<size>.png``."""
    SCREENS.mkdir(parents=True, exist_ok=True)
    path = SCREENS / f"checkout-{name}-{size}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def axe_violations(page) -> list[str]:
    """Return axe-core's serious and critical violations of the page as "rule: target" lines."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in BLOCKING
    ]
