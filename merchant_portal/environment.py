"""How settings read the environment, and the logging configuration they build from it.

Only ``merchant_portal.settings`` uses this module (it imports nothing of Django's settings, so
settings may import it). Unset variables fall back to embedded defaults for local runs, and
``DJANGO_ENV=production`` refuses to start without them.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured


class Environment:
    """The process environment as settings read it; remembers which embedded defaults it used."""

    def __init__(self, *, production: bool, var_dir: Path) -> None:
        self.production = production
        self.var_dir = var_dir
        self.embedded_defaults: list[str] = []

    def get(self, name: str, default: str | None = None) -> str | None:
        """Return the variable, or ``default`` when it is unset or empty."""
        value = os.environ.get(name)
        return value if value not in (None, "") else default

    def required_in_production(self, name: str, fallback: Callable[[], str]) -> str:
        """Return the variable; unset, refuse in production and call ``fallback`` elsewhere."""
        value = self.get(name)
        if value is not None:
            return value
        if self.production:
            raise ImproperlyConfigured(f"{name} must be set when DJANGO_ENV=production")
        self.embedded_defaults.append(name)
        return fallback()

    def generated_once(self, filename: str, make: Callable[[], str]) -> str:
        """Return a secret kept under var/, creating it on first use (local runs only)."""
        path = self.var_dir / filename
        if not path.exists():
            path.write_text(make())
            path.chmod(0o600)
        return path.read_text().strip()

    def warn_embedded_defaults(self) -> None:
        """Say once per process tree (not per child) which embedded defaults are in use."""
        if not self.embedded_defaults or os.environ.get("_EMBEDDED_DEFAULTS_WARNED"):
            return
        os.environ["_EMBEDDED_DEFAULTS_WARNED"] = "1"
        sys.stderr.write(
            "WARNING: embedded defaults in use for "
            + ", ".join(self.embedded_defaults)
            + " (SQLite, embedded SQLite broker, local-memory cache, keys under var/). "
            "Fine for local runs; set them for production (DJANGO_ENV=production).\n"
        )


def logging_config(*, log_format: str, level: str) -> dict:
    """Return ``LOGGING``: every line through one handler and formatter, which adds the request
    id bound to the context (``merchant_portal.log_format``)."""
    if log_format not in ("json", "text"):
        raise ImproperlyConfigured("LOG_FORMAT must be json or text")
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "text": {
                "()": "merchant_portal.log_format.TextFormatter",
                "format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s",
            },
            "json": {"()": "merchant_portal.log_format.JsonFormatter"},
        },
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": log_format}},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "django.db.backends": {"level": "WARNING"},
            "axes": {"level": "WARNING"},  # its start-up banner on every command is noise
            # httpx logs each request's whole URL, and a webhook URL's query may carry the
            # receiver's token; webhooks.services logs each attempt by delivery id instead.
            "httpx": {"level": "WARNING"},
            "httpcore": {"level": "WARNING"},
        },
    }
