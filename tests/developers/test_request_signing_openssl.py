"""The README's openssl example (docs/examples/sign_request.sh), run against a live server."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from developers.models import SigningKey
from developers.signing import request_signing_policy_set, signing_key_create

SCRIPT = Path(__file__).resolve().parents[2] / "docs" / "examples" / "sign_request.sh"

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not (shutil.which("openssl") and shutil.which("curl")), reason="needs openssl and curl"
    ),
]


def _openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def test_the_openssl_example_signs_a_request_the_api_accepts(live_server, merchant, tmp_path):
    from payments.services import api_key_create

    _, api_key = api_key_create(merchant=merchant, livemode=False)
    _openssl("genpkey", "-algorithm", "ed25519", "-out", "signing.pem", cwd=tmp_path)
    _openssl("pkey", "-in", "signing.pem", "-pubout", "-out", "signing.pub.pem", cwd=tmp_path)
    key = signing_key_create(
        merchant=merchant, livemode=False, public_key=(tmp_path / "signing.pub.pem").read_text()
    )
    request_signing_policy_set(merchant=merchant, require_signatures=True)
    _openssl("genpkey", "-algorithm", "ed25519", "-out", "second.pem", cwd=tmp_path)
    _openssl("pkey", "-in", "second.pem", "-pubout", "-out", "second.pub.pem", cwd=tmp_path)
    body = tmp_path / "body.json"
    body.write_text(json.dumps({"public_key": (tmp_path / "second.pub.pem").read_text()}))

    def run(idempotency_key):
        out = subprocess.run(
            [
                "sh",
                str(SCRIPT),
                str(tmp_path / "signing.pem"),
                key.public_id,
                "POST",
                "/api/v1/signing-keys",
                str(body),
                idempotency_key,
                live_server.url,
            ],
            env={"API_KEY": api_key, "PATH": "/usr/bin:/bin"},
            check=True,
            capture_output=True,
            text=True,
        )
        return json.loads(out.stdout)

    answer = run("second-key")

    assert answer["object"] == "signing_key", answer
    assert SigningKey.objects.filter(merchant=merchant).count() == 2
    base = tmp_path / "body.json.base"
    assert base.read_text().startswith('"@method": POST\n"@path": /api/v1/signing-keys\n')
