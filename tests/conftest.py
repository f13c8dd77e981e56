"""Test tiers, shared fixtures and the per-tier report that scripts/test.py sums up."""

import json
import os
import shutil
from pathlib import Path

import pytest
from django.db import connection

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
_SKIPPED_TIERS: set[str] = set()
_COUNTS = {"passed": 0, "failed": 0, "skipped": 0, "error": 0}


def pytest_collection_modifyitems(config, items):
    from django.conf import settings

    vendor = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    no_chromium = not (Path(CHROMIUM).exists() or shutil.which("chromium"))
    for item in items:
        if item.get_closest_marker("postgres") and vendor != "postgresql":
            _SKIPPED_TIERS.add("postgres (DATABASE_URL is not PostgreSQL)")
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL (DATABASE_URL)"))
        if item.get_closest_marker("redis") and not settings.REDIS_URL:
            _SKIPPED_TIERS.add("redis (REDIS_URL is not set)")
            item.add_marker(pytest.mark.skip(reason="needs Redis (REDIS_URL)"))
        if item.get_closest_marker("browser") and no_chromium:
            _SKIPPED_TIERS.add(f"browser (no Chromium at {CHROMIUM})")
            item.add_marker(pytest.mark.skip(reason="needs Chromium"))


def pytest_runtest_logreport(report):
    if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
        if report.outcome == "failed" and report.when != "call":
            _COUNTS["error"] += 1
        else:
            _COUNTS[report.outcome] += 1


def pytest_terminal_summary(terminalreporter):
    for tier in sorted(_SKIPPED_TIERS):
        terminalreporter.write_line(f"!!! SKIPPED TIER: {tier}", red=True, bold=True)


def pytest_sessionfinish(session, exitstatus):
    path = os.environ.get("TIER_REPORT")
    if path:
        Path(path).write_text(json.dumps({**_COUNTS, "skipped_tiers": sorted(_SKIPPED_TIERS)}))


@pytest.fixture(autouse=True)
def _eager_celery(settings):
    """Tasks run inline in tests; real-worker tests opt out with the `celery_worker` fixture."""
    from merchant_portal.celery import app

    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager = False


@pytest.fixture(autouse=True)
def _fast_settings(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.PAYMENTS_OTP_THROTTLE_FACTOR = 0
    settings.AXES_ENABLED = False


def is_postgres() -> bool:
    return connection.vendor == "postgresql"
