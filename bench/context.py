"""What every figure gets: the services, the process registry, the environment, the clock."""

from __future__ import annotations

import base64
import json
import os
import secrets
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.procs import PY, ROOT, Processes
from bench.report import Figure
from bench.services import SCRATCH_PREFIX, Postgres, Redis, run_id

# Variables of the developer's shell that must not leak into the production profile.
_SCRUB = (
    "DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "TEST_DB_NAME", "CELERY_TASK_ALWAYS_EAGER",
    "DEBUG", "DJANGO_ENV", "SITE_URL", "VAR_DIR", "DEMO_MODE", "EMAIL_URL",
)  # fmt: skip


class Skip(Exception):
    """A figure cannot run here (a service or a surface is missing); the reason is reported."""


@dataclass
class Bench:
    pg: Postgres | None
    redis: Redis | None
    procs: Processes
    var_dir: Path
    deadline: float
    client: str = "raw"
    profile: bool = False
    figures: list[Figure] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)
    notes: dict = field(default_factory=dict)
    run: str = field(default_factory=run_id)
    secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(50))
    encryption_keys: str = field(
        default_factory=lambda: "k1:" + base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
    )

    def db(self, name: str) -> str:
        """Return this run's scratch database ``name`` (e.g. ``bench_run_p4242_1a2b3c4d_settle``);
        another run's databases never share it, and only this run drops it at the end."""
        return f"{SCRATCH_PREFIX}_{self.run}_{name}"

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def need(self, seconds: float, what: str) -> None:
        """Skip a figure that would not finish before the run's deadline."""
        if self.remaining() < seconds:
            raise Skip(
                f"{what} needs ~{seconds:.0f}s; only {self.remaining():.0f}s left of the budget"
            )

    def env(self, dbname: str, **extra: str) -> dict[str, str]:
        """Return the production profile's environment on scratch database ``dbname``."""
        if self.pg is None or self.redis is None:
            raise Skip("needs PostgreSQL and Redis")
        env = {k: v for k, v in os.environ.items() if k not in _SCRUB}
        env.update(
            DJANGO_ENV="production",
            DEBUG="false",
            SECRET_KEY=self.secret_key,
            FIELD_ENCRYPTION_KEYS=self.encryption_keys,
            ALLOWED_HOSTS="127.0.0.1",
            EMAIL_URL="dummy:",  # billing's e-mails to customers go nowhere in a bench
            SECURE_SSL_REDIRECT="false",
            DATABASE_URL=self.pg.url(dbname),
            REDIS_URL=self.redis.cache_url,
            CELERY_BROKER_URL=self.redis.broker_url,
            DJANGO_SETTINGS_MODULE="bench.settings",  # the project plus the baselines
            VAR_DIR=str(self.var_dir),
            WEBHOOKS_ALLOW_PRIVATE_URLS="true",  # the receiver listens on 127.0.0.1
            PYTHONPATH=str(ROOT),
            PYTHONUNBUFFERED="1",
        )
        env.update(extra)
        return env

    def manage(self, env: dict[str, str], *args: str, timeout: float = 600) -> str:
        done = subprocess.run(
            [PY, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
            timeout=timeout,
        )  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stderr[-3000:]}")
        return done.stdout

    def django(self, env: dict[str, str], command: str, timeout: float = 300, **args) -> dict:
        """Run a ``bench.django_side`` command in a subprocess; return its JSON answer."""
        done = subprocess.run(
            [PY, "-m", "bench.django_side", command, json.dumps(args)], cwd=ROOT, env=env,
            capture_output=True, text=True, timeout=timeout,
        )  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(f"bench.django_side {command} failed:\n{done.stderr[-3000:]}")
        return json.loads(done.stdout.strip().splitlines()[-1])

    def add(self, figure: Figure) -> Figure:
        self.figures.append(figure)
        return figure

    def skip(self, name: str, reason: str) -> None:
        self.skipped.append({"name": name, "reason": reason})
        print(f"  skipped {name}: {reason}", file=sys.stderr, flush=True)
