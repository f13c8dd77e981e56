"""Configuration (DESIGN section 6, README 'Configuration'): with nothing set, every concern runs
on its embedded default, the generated secrets live under var/ and one warning names them."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_PRINT_SETTINGS = """
import json
from django.conf import settings as s
print(json.dumps({
    "db_engine": s.DATABASES["default"]["ENGINE"],
    "db_name": str(s.DATABASES["default"]["NAME"]),
    "broker": s.CELERY_BROKER_URL,
    "cache": s.CACHES["default"]["BACKEND"],
    "redis_url": s.REDIS_URL,
    "secret_key": s.SECRET_KEY,
    "field_keys": s.FIELD_ENCRYPTION_KEYS,
    "debug": s.DEBUG,
    "allowed_hosts": s.ALLOWED_HOSTS,
    "site_url": s.SITE_URL,
    "webhooks_allow_private": s.WEBHOOKS_ALLOW_PRIVATE_URLS,
    "demo_mode": s.DEMO_MODE,
    "cutoff": s.SETTLEMENT_CUTOFF_TIME,
    "throttle": s.PAYMENTS_API_THROTTLE_RATE,
    "otp_ttl": s.PAYMENTS_OTP_TTL.total_seconds(),
    "otp_attempts": s.PAYMENTS_OTP_MAX_ATTEMPTS,
    "secure_cookies": getattr(s, "SESSION_COOKIE_SECURE", False) and s.CSRF_COOKIE_SECURE,
    "hsts": getattr(s, "SECURE_HSTS_SECONDS", 0),
    "email_backend": s.EMAIL_BACKEND,
    "email_host": s.EMAIL_HOST,
    "email_tls": s.EMAIL_USE_TLS,
}))
"""

# Everything the README's configuration table names, so the parent's values cannot leak in.
_CONFIG_VARS = (
    "DJANGO_ENV",
    "DATABASE_URL",
    "DATABASE_PREPARED_STATEMENTS",
    "CELERY_BROKER_URL",
    "REDIS_URL",
    "SECRET_KEY",
    "FIELD_ENCRYPTION_KEYS",
    "ALLOWED_HOSTS",
    "DEBUG",
    "SITE_URL",
    "HOST",
    "PORT",
    "WEBHOOKS_ALLOW_PRIVATE_URLS",
    "DEMO_MODE",
    "SETTLEMENT_CUTOFF_TIME",
    "PAYMENTS_API_THROTTLE_RATE",
    "EMAIL_URL",
    "TEST_DB_NAME",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
    "_EMBEDDED_DEFAULTS_WARNED",
)


def _settings_with_nothing_set(var_dir: Path, **extra: str) -> tuple[dict, str]:
    env = {k: v for k, v in os.environ.items() if k not in _CONFIG_VARS}
    env.update(VAR_DIR=str(var_dir), **extra)
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", _PRINT_SETTINGS],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1]), result.stderr


def test_with_nothing_set_every_concern_runs_on_its_embedded_default(tmp_path):
    values, stderr = _settings_with_nothing_set(tmp_path)

    assert values["db_engine"] == "django.db.backends.sqlite3"
    assert values["db_name"] == str(tmp_path / "db.sqlite3")
    assert values["broker"] == f"sqla+sqlite:///{tmp_path / 'broker.sqlite3'}"
    assert values["cache"] == "django.core.cache.backends.locmem.LocMemCache"
    assert values["redis_url"] == ""
    assert values["debug"] is True
    assert values["allowed_hosts"] == ["127.0.0.1", "localhost", "testserver"]
    assert values["site_url"] == "http://localhost:8000"  # a domain: passkeys need one
    assert values["webhooks_allow_private"] is True
    assert values["demo_mode"] is True
    assert values["cutoff"] == "00:00"
    assert values["throttle"] == "100/s"
    # DESIGN section 1: the OTP is short-lived and allows few attempts.
    assert values["otp_ttl"] == 300 and values["otp_attempts"] == 3
    assert values["email_backend"] == "django.core.mail.backends.console.EmailBackend"
    (warning,) = [line for line in stderr.splitlines() if line.startswith("WARNING: embedded")]
    for name in ("DATABASE_URL", "CELERY_BROKER_URL", "REDIS_URL", "SECRET_KEY"):
        assert name in warning
    assert "FIELD_ENCRYPTION_KEYS" in warning


def test_the_printed_links_follow_host_and_port_unless_site_url_is_set(tmp_path):
    """`HOST=0.0.0.0 PORT=9000 make run` serves on port 9000: checkout URLs, staff set-up links
    (`manage.py staff_setup_link`) and the start banner must name that origin, not :8000. The
    loopback and a wildcard bind are named localhost: passkeys refuse an IP as relying party."""
    moved, _ = _settings_with_nothing_set(tmp_path, HOST="0.0.0.0", PORT="9000")
    named, _ = _settings_with_nothing_set(tmp_path, HOST="pay.local", PORT="8443")
    ipv6, _ = _settings_with_nothing_set(tmp_path, HOST="::1", PORT="8000")
    explicit, _ = _settings_with_nothing_set(
        tmp_path, PORT="9000", SITE_URL="https://pay.example.com"
    )

    assert moved["site_url"] == "http://localhost:9000"
    assert named["site_url"] == "http://pay.local:8443"
    assert ipv6["site_url"] == "http://localhost:8000"
    assert explicit["site_url"] == "https://pay.example.com"


def test_local_secrets_are_generated_once_into_var_and_reused(tmp_path):
    first, _ = _settings_with_nothing_set(tmp_path)
    second, _ = _settings_with_nothing_set(tmp_path)

    assert (tmp_path / "secret_key").read_text().strip() == first["secret_key"]
    assert (tmp_path / "field_encryption_keys").read_text().strip() == first["field_keys"]
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0  # owner-only
    assert (second["secret_key"], second["field_keys"]) == (
        first["secret_key"],
        first["field_keys"],
    )
    kid, _, key = first["field_keys"].partition(":")
    assert kid and len(key) >= 43  # kid:base64 of a 256-bit AES-GCM key


def test_production_turns_the_local_conveniences_off(tmp_path):
    values, stderr = _settings_with_nothing_set(
        tmp_path,
        DJANGO_ENV="production",
        SECRET_KEY="s" * 60,
        FIELD_ENCRYPTION_KEYS="k1:" + "A" * 43,
        DATABASE_URL=f"sqlite:///{tmp_path}/prod.sqlite3",
        REDIS_URL="redis://127.0.0.1:6379/9",
        CELERY_BROKER_URL="redis://127.0.0.1:6379/9",
        ALLOWED_HOSTS="pay.example.com",
        EMAIL_URL="submission://billing:pw@smtp.example.com:587",
    )

    assert values["debug"] is False
    assert values["webhooks_allow_private"] is False
    assert values["demo_mode"] is False
    assert values["secure_cookies"] is True and values["hsts"] >= 31536000
    assert values["cache"] == "django.core.cache.backends.redis.RedisCache"
    assert values["email_backend"] == "django.core.mail.backends.smtp.EmailBackend"
    assert values["email_host"] == "smtp.example.com" and values["email_tls"] is True
    assert not list(tmp_path.glob("secret_key")) and "WARNING: embedded" not in stderr
