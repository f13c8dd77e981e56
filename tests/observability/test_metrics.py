"""/metrics: its protection, the Prometheus text format, counters moving with the work."""

import subprocess
import sys

import pytest
from prometheus_client.parser import text_string_to_metric_families


def _samples(response) -> dict[tuple, float]:
    text = response.content.decode()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def _value(samples, name, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture
def scrape(client, settings):
    settings.METRICS_TOKEN = "scrape-token"
    settings.METRICS_LEDGER_INTERVAL = 0

    def get():
        response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-token")
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/plain; version=")
        return _samples(response)

    return get


@pytest.mark.django_db
def test_metrics_without_the_token_are_refused(client, settings):
    settings.METRICS_TOKEN = "scrape-token"

    missing = client.get("/metrics")
    wrong = client.get("/metrics", HTTP_AUTHORIZATION="Bearer nope")

    assert missing.status_code == wrong.status_code == 401
    assert missing["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.django_db
def test_metrics_are_not_served_in_production_without_a_token(client, settings):
    settings.METRICS_TOKEN = None
    settings.PRODUCTION = True

    assert client.get("/metrics").status_code == 404


@pytest.mark.django_db
def test_metrics_are_open_to_local_runs_without_a_token(client, settings):
    settings.METRICS_TOKEN = None
    settings.PRODUCTION = False

    assert client.get("/metrics").status_code == 200


@pytest.mark.django_db
def test_requests_are_counted_by_route_and_status(client, scrape):
    before = scrape()
    client.get("/healthz")
    client.get("/api/v1/orders/ord_missing")  # 401: no key
    after = scrape()

    labels = {"method": "GET", "route": "healthz", "status": "200"}
    assert (
        _value(after, "http_requests_total", **labels)
        == _value(before, "http_requests_total", **labels) + 1
    )
    assert _value(
        after, "http_request_duration_seconds_count", method="GET", route="healthz"
    ) > _value(before, "http_request_duration_seconds_count", method="GET", route="healthz")
    unauthorized = {"method": "GET", "route": "api/v1/orders/<str:order_id>", "status": "401"}
    assert _value(after, "http_requests_total", **unauthorized) >= 1


def test_counters_move_after_a_payment_run(scrape, payment_run):
    before = scrape()
    payment_run()
    after = scrape()

    def moved(name, **labels):
        return _value(after, name, **labels) - _value(before, name, **labels)

    card = {"method": "card", "institution": "sandbox_issuer_visa"}
    assert moved("payments_total", outcome="requires_action", **card) == 1
    assert moved("payments_total", outcome="captured", **card) == 1
    assert moved("payments_otp_verifications_total", result="passed") == 1
    assert moved("payments_refunds_total", outcome="succeeded") == 1
    assert moved("webhook_attempts_total", result="succeeded", endpoint_state="healthy") >= 4
    assert moved("webhook_delivery_lag_seconds_count") >= 4
    assert _value(after, "ledger_imbalance_minor_units", currency="USD") == 0


def test_a_decline_is_counted_with_its_code(scrape, api):
    before = scrape()
    order = api.post(
        "/api/v1/orders", {"amount": 100, "currency": "USD", "reference": "d"}, format="json"
    )
    card = {"number": "4000000000009995", "exp_month": 12, "exp_year": 2035, "cvc": "123"}
    card["holder_name"] = "Ada Lovelace"
    declined = api.post(
        f"/api/v1/orders/{order.json()['id']}/payments",
        {"payment_method": {"type": "card", "card": card}},
        format="json",
    )
    after = scrape()

    assert declined.json()["status"] == "declined", declined.content
    labels = {"method": "card", "institution": "sandbox_issuer_visa", "code": "insufficient_funds"}
    assert (
        _value(after, "payments_declines_total", **labels)
        == _value(before, "payments_declines_total", **labels) + 1
    )


def test_the_ledger_imbalance_gauge_reads_what_the_ledger_holds(scrape, captured_payment):
    from ledger.models import Posting

    assert _value(scrape(), "ledger_imbalance_minor_units", currency="USD") == 0
    posting = Posting.objects.filter(currency="USD").first()
    Posting.objects.filter(pk=posting.pk).update(amount=posting.amount + 7)

    assert _value(scrape(), "ledger_imbalance_minor_units", currency="USD") == 7


@pytest.mark.django_db
def test_a_sweep_that_finds_lost_work_is_counted(scrape):
    from backoffice.metrics import sweep_found

    before = _value(scrape(), "sweep_found_total", sweep="webhooks")
    sweep_found(sweep="webhooks", count=3)

    assert _value(scrape(), "sweep_found_total", sweep="webhooks") == before + 3


@pytest.mark.django_db
def test_queue_depths_are_reported_per_queue(scrape, monkeypatch):
    from merchant_portal import metrics

    monkeypatch.setattr(metrics, "_queues", metrics._Cached(lambda: {"celery": 4, "webhooks": 0}))

    samples = scrape()

    assert _value(samples, "celery_queue_depth", queue="celery") == 4
    assert _value(samples, "celery_queue_depth", queue="webhooks") == 0


_WORKER = """
import django, sys
django.setup()
from payments.metrics import REFUNDS
REFUNDS.inc(outcome="succeeded")
REFUNDS.inc(outcome="succeeded")
"""


@pytest.mark.django_db
def test_metrics_of_several_processes_are_added_up(client, settings, tmp_path):
    """Processes (gunicorn or Celery workers) sharing PROMETHEUS_MULTIPROC_DIR: one scrape of
    any web process reports their sum, dead ones included; a dead one's files are kept."""
    import os

    directory = tmp_path / "prom"
    directory.mkdir()
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(directory), "VAR_DIR": str(tmp_path)}
    env["DJANGO_SETTINGS_MODULE"] = "merchant_portal.settings"
    for _ in range(3):
        subprocess.run([sys.executable, "-c", _WORKER], env=env, check=True, cwd=settings.BASE_DIR)
    settings.PROMETHEUS_MULTIPROC_DIR = str(directory)
    settings.METRICS_TOKEN = None

    samples = _samples(client.get("/metrics"))

    assert _value(samples, "payments_refunds_total", outcome="succeeded") == 6
    assert len(list(directory.glob("counter_*.db"))) == 3


def test_gunicorn_config_drops_the_files_of_dead_processes_at_start(tmp_path, monkeypatch):
    import os
    import runpy

    from django.conf import settings

    config = runpy.run_path(str(settings.BASE_DIR / "gunicorn.conf.py"))
    (tmp_path / "counter_999999999.db").write_bytes(b"")
    (tmp_path / f"counter_{os.getpid()}.db").write_bytes(b"")
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))

    config["on_starting"](None)

    assert [p.name for p in tmp_path.iterdir()] == [f"counter_{os.getpid()}.db"]
    assert config["preload_app"] is False and config["timeout"] > 10
