"""The foundation: settings profiles, commands, the Celery app and the test tiers themselves."""

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.core.management import call_command

from payments.models import ApiKey, Merchant

ROOT = Path(__file__).resolve().parent.parent


def _run_django(args, env_extra, tmp_path):
    # A clean environment: nothing of the test run's own (e.g. the browser tests' async flag).
    dropped = ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env.update({"VAR_DIR": str(tmp_path), **env_extra})
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )


def test_production_profile_refuses_to_start_without_its_secrets(tmp_path):
    result = _run_django(["check"], {"DJANGO_ENV": "production"}, tmp_path)

    assert result.returncode != 0
    assert "must be set when DJANGO_ENV=production" in result.stderr


def test_production_profile_passes_the_deploy_checks(tmp_path):
    env = {
        "DJANGO_ENV": "production",
        "SECRET_KEY": "x" * 20 + uuid.uuid4().hex + "Q!z" * 10,
        "FIELD_ENCRYPTION_KEYS": "k1:" + "A" * 43,
        "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3",
        "REDIS_URL": "redis://127.0.0.1:6379/9",
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/9",
        "ALLOWED_HOSTS": "pay.example.com",
        "EMAIL_URL": "submission://billing:pw@smtp.example.com:587",
    }
    result = _run_django(["check", "--deploy", "--fail-level", "WARNING"], env, tmp_path)

    assert result.returncode == 0, result.stdout + result.stderr


def test_local_profile_uses_sqlite_wal_with_immediate_transactions(settings):
    from merchant_portal.settings import SQLITE_OPTIONS

    assert SQLITE_OPTIONS["transaction_mode"] == "IMMEDIATE"
    assert SQLITE_OPTIONS["timeout"] >= 5
    assert "journal_mode=WAL" in SQLITE_OPTIONS["init_command"]


def test_whitenoise_serves_static_files(client):
    response = client.get("/static/css/site.css")

    assert response.status_code == 200
    assert b"box-sizing" in b"".join(response.streaming_content)


@pytest.mark.django_db
def test_landing_page_links_the_shop_the_admin_and_the_api_docs(client):
    response = client.get("/")

    assert response.status_code == 200
    for link in (b"/demo/shop/", b"/admin/", b"/api/v1/docs"):
        assert link in response.content


@pytest.mark.django_db
def test_create_merchant_prints_its_id_and_a_test_key_stored_hashed(capsys):
    call_command("create_merchant", "Acme Ltd", "--json")

    out = json.loads(capsys.readouterr().out)
    merchant = Merchant.objects.get(public_id=out["merchant_id"])
    assert merchant.name == "Acme Ltd"
    assert out["api_key"].startswith("sk_test_")
    key = ApiKey.objects.get(merchant=merchant)
    assert out["api_key"] not in (key.key_hash, key.prefix)
    assert len(key.key_hash) == 64


@pytest.mark.django_db
def test_demo_setup_runs_twice_without_duplicating(settings, tmp_path, capsys):
    from django.contrib.auth import get_user_model
    from django_otp.plugins.otp_totp.models import TOTPDevice

    settings.VAR_DIR = tmp_path
    call_command("demo_setup")
    call_command("demo_setup")

    out = capsys.readouterr().out
    assert "python manage.py demo_otp platform" in out and "sk_test_" in out
    assert Merchant.objects.filter(is_demo=True).count() == 1
    assert get_user_model().objects.filter(username__in=["platform", "merchant"]).count() == 2
    assert TOTPDevice.objects.filter(confirmed=True).count() == 2


@pytest.mark.django_db
def test_demo_otp_prints_a_code_the_device_accepts(settings, tmp_path, capsys):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    settings.VAR_DIR = tmp_path
    call_command("demo_setup")
    capsys.readouterr()
    call_command("demo_otp", "platform")

    code = capsys.readouterr().out.strip()
    assert TOTPDevice.objects.get(user__username="platform").verify_token(code)


@pytest.mark.django_db
def test_check_invariants_exits_non_zero_on_a_violation(order):
    from django.core.management.base import CommandError

    from payments.models import Order

    call_command("check_invariants")
    Order.objects.filter(pk=order.pk).update(status="paid")  # paid without a captured payment

    with pytest.raises(CommandError):
        call_command("check_invariants")


@pytest.mark.postgres
@pytest.mark.redis
def test_a_task_sent_on_the_broker_is_executed_by_a_real_worker(celery_worker_process):
    from django.core.cache import cache

    from merchant_portal.celery import ping
    from tests.conftest import wait_for

    token = uuid.uuid4().hex
    ping.delay(token)

    assert wait_for(lambda: cache.get(f"celery-ping:{token}")) == "pong"


@pytest.mark.django_db
def test_demo_setup_replaces_a_revoked_demo_key_even_when_another_key_is_active(settings, tmp_path):
    from demo.services import demo_setup
    from payments.services import api_key_authenticate, api_key_create, api_key_revoke

    settings.VAR_DIR = tmp_path
    first = demo_setup()
    api_key_create(merchant=first.merchant, name="Another key")
    api_key_revoke(key=api_key_authenticate(raw_key=first.api_key))

    again = demo_setup()

    assert again.api_key != first.api_key
    assert api_key_authenticate(raw_key=again.api_key).revoked_at is None


def test_a_debug_error_page_shows_no_card_data_from_any_frame(client, order, settings):
    """With DEBUG on, Django's error page lists every frame's variables; those below the
    checkout view (validation, the vault) hold the card number and the CVC in variables of their
    own, which must be hidden as the view's are."""
    settings.DEBUG = True
    settings.FIELD_ENCRYPTION_KEYS = "k1:c2hvcnQ"  # too short: the vault fails mid-payment
    client.raise_request_exception = False
    pan, cvc = "4242424242424242", "739"

    response = client.post(
        f"/checkout/{order.checkout_token}/",
        {"method": "card", "number": pan, "exp": "12/35", "cvc": cvc, "holder_name": "Ada L"},
    )

    page = response.content.decode()
    assert response.status_code == 500 and "must be 16, 24 or 32 bytes" in page
    assert pan not in page and "4242 4242 4242 4242" not in page
    assert f"&#x27;{cvc}&#x27;" not in page
