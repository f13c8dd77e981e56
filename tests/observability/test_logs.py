"""Structured logs: one JSON object a line, a request id on each, no card data or secret."""

import json
import logging
import re
import subprocess
import sys

import pytest
from django.conf import settings as django_settings


def test_every_answer_carries_a_new_request_id(client):
    first = client.get("/healthz")["X-Request-Id"]
    second = client.get("/healthz")["X-Request-Id"]

    assert re.fullmatch(r"[0-9a-f]{32}", first) and first != second


def test_a_request_id_sent_by_the_client_itself_is_not_taken(client, settings):
    settings.BACKOFFICE_TRUSTED_PROXY_COUNT = 0

    response = client.get("/healthz", HTTP_X_REQUEST_ID="chosen-by-client")

    assert response["X-Request-Id"] != "chosen-by-client"


def test_a_request_id_set_by_the_trusted_proxy_is_kept(client, settings):
    settings.BACKOFFICE_TRUSTED_PROXY_COUNT = 1

    response = client.get(
        "/healthz", HTTP_X_REQUEST_ID="lb-7f3a.9", HTTP_X_FORWARDED_FOR="203.0.113.9"
    )

    assert response["X-Request-Id"] == "lb-7f3a.9"


@pytest.mark.parametrize("bad", ["a b", 'x"}\n{"level":"error"', "-leading-dash", "x" * 129])
def test_a_malformed_request_id_from_the_proxy_is_replaced(client, settings, bad):
    settings.BACKOFFICE_TRUSTED_PROXY_COUNT = 1

    response = client.get("/healthz", HTTP_X_REQUEST_ID=bad, HTTP_X_FORWARDED_FOR="203.0.113.9")

    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-Id"])


def _standalone(value: str) -> re.Pattern:
    return re.compile(rf"(?<![\d]){re.escape(value)}(?![\d])")


def test_a_full_payment_run_logs_json_with_request_ids_and_no_secret(json_logs, payment_run):
    """Card with OTP, refund, webhook deliveries, every line at DEBUG as production writes it."""
    used = payment_run()
    lines = json_logs()
    records = [json.loads(line) for line in lines]  # one JSON object per line, or this fails

    assert used["received"] >= 4  # the webhooks went out
    text = "\n".join(lines)
    forbidden = {
        "pan": _standalone(used["pan"]),
        "pan spaced": re.compile(r"4000[ -]0000[ -]0000[ -]3220"),
        "cvc": _standalone(used["cvc"]),
        "otp code": _standalone(used["otp"]),
        "api key": re.compile(re.escape(used["api_key"])),
        "api key body": re.compile(re.escape(used["api_key"].split("_", 2)[2])),
        "webhook secret": re.compile(re.escape(used["secret"].removeprefix("whsec_"))),
    }
    assert [name for name, pattern in forbidden.items() if pattern.search(text)] == []
    # Every line of a request has its id; the requests' own lines are there.
    access = [r for r in records if r["logger"] == "merchant_portal.access"]
    assert {r["request_id"] for r in access} >= set(used["request_ids"].values())
    assert all(r.get("request_id") for r in records if r["logger"].startswith("django.request"))
    # The tasks and the webhook attempts a request caused carry its id.
    attempts = [r for r in records if r["event"].startswith("webhook delivery ")]
    assert attempts
    assert {r["request_id"] for r in attempts} <= set(used["request_ids"].values())
    assert used["request_ids"]["pay"] in {r["request_id"] for r in attempts}
    assert used["request_ids"]["refund"] in {r["request_id"] for r in attempts}
    assert all(r.get("task_id") and r.get("task") for r in attempts)


def test_a_task_sent_during_a_request_carries_its_id_in_the_message_headers():
    from backoffice.request_id import log_context_bind, log_context_reset
    from merchant_portal.celery import REQUEST_ID_HEADER, _request_id_to_headers

    headers = {}
    tokens = log_context_bind(request_id="req-42")
    try:
        _request_id_to_headers(headers=headers)
    finally:
        log_context_reset(tokens)

    assert headers[REQUEST_ID_HEADER] == "req-42"


def test_a_worker_binds_the_request_id_its_message_carries(json_logs):
    """As a worker process would: the id comes from the message's headers, not the context."""
    from merchant_portal.celery import ping

    ping.apply(args=["t"], headers={"request_id": "from-the-message"})
    assert ping.request_stack.top is None

    logging.getLogger("tests").info("after the task")
    records = [json.loads(line) for line in json_logs()]
    assert records[-2]["request_id"] == "from-the-message"
    assert "request_id" not in records[-1], json.dumps(
        records[-1]
    )  # the binding ended with the task


def test_the_configured_json_handler_writes_one_object_per_line(tmp_path):
    """What `LOG_FORMAT=json` configures through settings.LOGGING, in a fresh process."""
    script = (
        "import django, logging; django.setup();"
        "logging.getLogger('payments').warning('card %s declined', '4242424242424242')"
    )
    env = {"LOG_FORMAT": "json", "DJANGO_SETTINGS_MODULE": "merchant_portal.settings"}
    out = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        cwd=django_settings.BASE_DIR,
        env={**__import__("os").environ, **env, "VAR_DIR": str(tmp_path)},
    )
    line = [json.loads(x) for x in out.stderr.splitlines() if x.startswith("{")][-1]

    assert line["level"] == "warning" and line["logger"] == "payments"
    assert line["event"] == "card [card number] declined"


def test_error_reports_still_hide_card_data(rf):
    from merchant_portal.error_reports import CardDataSafeExceptionReporterFilter

    def frame_with_card():
        number = "4242424242424242"  # noqa: F841 - the frame's variable under test
        raise ValueError

    try:
        frame_with_card()
    except ValueError as err:
        tb = err.__traceback__.tb_next
    variables = dict(
        CardDataSafeExceptionReporterFilter().get_traceback_frame_variables(
            rf.get("/"), tb.tb_frame
        )
    )

    assert "4242424242424242" not in str(variables)
