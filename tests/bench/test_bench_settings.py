"""The baseline endpoints are the bench's own: its settings add them, the project's do not."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import Resolver404, resolve

ROOT = Path(__file__).resolve().parents[2]
PROBE = """
import json, django
django.setup()
from django.conf import settings
from django.urls import resolve
print(json.dumps({
    "installed": "bench.baseline" in settings.INSTALLED_APPS,
    "routes": [resolve(p).url_name for p in ("/bench/constant", "/bench/minimal", "/healthz")],
}))
"""


def test_the_project_neither_installs_nor_routes_the_baselines():
    assert "bench.baseline" not in settings.INSTALLED_APPS
    with pytest.raises(Resolver404):
        resolve("/bench/constant")


def test_the_bench_settings_are_the_project_plus_the_baselines(tmp_path):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings", "VAR_DIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True
    )

    assert done.returncode == 0, done.stderr[-2000:]
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    assert answer == {"installed": True, "routes": ["constant", "minimal", "healthz"]}
