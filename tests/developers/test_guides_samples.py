"""The guides' code samples run against a live server, so the docs cannot rot."""

import json
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from developers.guides import guides_dir
from webhooks.signing import headers_sign

pytestmark = pytest.mark.django_db(transaction=True)

NODE = shutil.which("node")
_FENCE = re.compile(r"^```(\w+)\n(.*?)^```", re.MULTILINE | re.DOTALL)


def code_blocks(slug: str, language: str) -> list[str]:
    """Return the fenced code blocks of ``language`` in guide ``slug``, in order."""
    text = (guides_dir() / f"{slug}.md").read_text(encoding="utf-8")
    return [code for lang, code in _FENCE.findall(text) if lang == language]


def run_python_samples(slug: str, namespace: dict) -> dict:
    for number, code in enumerate(code_blocks(slug, "python"), start=1):
        exec(compile(code, f"{slug}.md python block {number}", "exec"), namespace)  # noqa: S102
    return namespace


@pytest.fixture
def quickstart(live_server, merchant, settings, monkeypatch):
    """Run the quickstart's Python samples against the live server with a fresh test key."""
    from payments.services import api_key_create

    settings.SITE_URL = live_server.url
    _, raw = api_key_create(merchant=merchant, livemode=False)
    monkeypatch.setenv("PAYMENTS_BASE_URL", live_server.url)
    monkeypatch.setenv("PAYMENTS_API_KEY", raw)
    return run_python_samples("quickstart", {"__name__": "quickstart"})


def _signed_order_paid(secret: str, order: dict, *, msg_id: str = "evt_test_1"):
    body = json.dumps(
        {"id": msg_id, "type": "order.paid", "data": {"object": {**order, "status": "paid"}}}
    ).encode()
    headers = headers_sign(secrets_=[secret], msg_id=msg_id, timestamp=int(time.time()), body=body)
    return headers, body


def test_the_quickstart_creates_an_order_with_a_checkout_url(quickstart):
    order = quickstart["order"]

    assert order["id"].startswith("ord_")
    assert order["checkout_url"].startswith(quickstart["BASE_URL"])
    assert quickstart["current"]["status"] == "pending"
    assert quickstart["WEBHOOK_SECRET"].startswith("whsec_")


def test_the_quickstarts_handler_accepts_a_signed_webhook_once(quickstart, capsys):
    headers, body = _signed_order_paid(quickstart["WEBHOOK_SECRET"], quickstart["order"])

    first = quickstart["handle_webhook"](headers, body)
    again = quickstart["handle_webhook"](headers, body)

    assert (first, again) == (200, 200)
    assert capsys.readouterr().out.count("ship order") == 1


def test_the_quickstarts_handler_refuses_a_forged_or_stale_webhook(quickstart):
    secret = quickstart["WEBHOOK_SECRET"]
    headers, body = _signed_order_paid(secret, quickstart["order"])
    stale = headers_sign(secrets_=[secret], msg_id="evt_old", timestamp=1_000_000_000, body=body)

    assert quickstart["handle_webhook"](headers, body.replace(b"paid", b"PAID")) == 400
    assert quickstart["handle_webhook"](stale, body) == 400
    other = "whsec_" + "A" * 43 + "="
    assert quickstart["verify_webhook"](other, headers, body) is False


def test_the_quickstarts_javascript_verifies_a_signature(tmp_path: Path):
    if NODE is None:
        pytest.skip("node is not installed: the JavaScript sample cannot be run here")
    (sample,) = code_blocks("quickstart", "javascript")
    secret = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    body = b'{"id":"evt_1","type":"order.paid"}'
    headers = headers_sign(secrets_=[secret], msg_id="evt_1", timestamp=int(time.time()), body=body)
    (tmp_path / "verify.js").write_text(sample)
    harness = f"""
const {{ verifyWebhook }} = require("./verify.js");
const headers = {json.dumps(headers)};
const body = Buffer.from({json.dumps(body.decode())});
console.log(JSON.stringify([
  verifyWebhook({json.dumps(secret)}, headers, body),
  verifyWebhook({json.dumps(secret)}, headers, Buffer.from("{{}}")),
]));
"""
    (tmp_path / "run.js").write_text(harness)

    out = subprocess.run(
        [NODE, "run.js"], cwd=tmp_path, capture_output=True, text=True, timeout=30, check=True
    )

    assert json.loads(out.stdout) == [True, False]


def test_the_api_payments_refunds_and_idempotency_samples_run(live_server, merchant, monkeypatch):
    """They continue from the quickstart's client (its first block)."""
    from payments.services import api_key_create

    _, raw = api_key_create(merchant=merchant, livemode=False)
    monkeypatch.setenv("PAYMENTS_BASE_URL", live_server.url)
    monkeypatch.setenv("PAYMENTS_API_KEY", raw)
    namespace = {"__name__": "guides"}
    exec(code_blocks("quickstart", "python")[0], namespace)  # noqa: S102

    for slug in ("api-payments", "refunds", "idempotency"):
        run_python_samples(slug, namespace)

    assert namespace["payment"]["status"] == "captured"
    assert namespace["refund"]["amount"] == 1000
    assert namespace["retry"].headers["Idempotent-Replayed"] == "true"
