"""Signed API requests (RFC 9421): keys by API, the merchant's requirement on money-moving
operations, and what a refused request leaves behind (nothing)."""

import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from developers.models import SeenSignature, SigningKey
from developers.signing import (
    request_signing_policy_set,
    seen_signatures_prune,
    signing_key_create,
)
from payments.models import IdempotencyRecord, Refund
from payouts.models import PayoutBatch, PayoutItem
from tests.developers.signing_client import (
    new_private_key,
    post_signed,
    public_pem,
    signed_headers,
)
from tests.payouts.conftest import payout_rows, settled  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db

PAYOUTS = "/api/v1/payout-batches"


@pytest.fixture
def api(merchant):
    from tests.api.conftest import _client_for

    return _client_for(merchant)


@pytest.fixture
def signing_key(api):
    """An Ed25519 key registered by API: (private key, key id)."""
    private = new_private_key("ed25519")
    response = api.post(
        "/api/v1/signing-keys",
        {"public_key": public_pem(private), "name": "payroll"},
        format="json",
    )
    assert response.status_code == 201, response.content
    return private, response.json()["id"]


@pytest.fixture
def required(merchant):
    request_signing_policy_set(merchant=merchant, require_signatures=True)


def batch(reference="payroll-1", rows=2):
    return {"reference": reference, "items": payout_rows(rows)}


def assert_refused(response, code, field):
    assert response.status_code == 401, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert body["code"] == code, body
    assert body["errors"][0]["field"] == field
    assert body["detail"]
    return body


def nothing_written():
    return (
        PayoutBatch.objects.count() == 0
        and PayoutItem.objects.count() == 0
        and IdempotencyRecord.objects.count() == 0
        and SeenSignature.objects.count() == 0
    )


def test_a_registered_key_is_listed_with_its_algorithm_and_never_a_private_key(api, signing_key):
    listed = api.get("/api/v1/signing-keys").json()["data"]

    assert [k["id"] for k in listed] == [signing_key[1]]
    assert listed[0]["algorithm"] == "ed25519"
    assert "PRIVATE" not in json.dumps(listed)
    assert listed[0]["public_key"].startswith("-----BEGIN PUBLIC KEY-----")


def test_an_ecdsa_p256_key_is_accepted_and_other_curves_or_private_keys_are_refused(api):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    ok = api.post(
        "/api/v1/signing-keys", {"public_key": public_pem(new_private_key("p256"))}, format="json"
    )
    p384 = ec.generate_private_key(ec.SECP384R1())
    wrong_curve = api.post("/api/v1/signing-keys", {"public_key": public_pem(p384)}, format="json")
    private_pem = (
        new_private_key("ed25519")
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )
    private = api.post("/api/v1/signing-keys", {"public_key": private_pem}, format="json")

    assert ok.status_code == 201 and ok.json()["algorithm"] == "ecdsa-p256-sha256"
    for response in (wrong_curve, private):
        assert response.status_code == 400, response.content
        assert response.json()["code"] == "validation_failed"
        assert response.json()["errors"][0]["field"] == "public_key"
        assert response.json()["errors"][0]["code"] == "invalid_public_key"
    assert SigningKey.objects.count() == 1


def test_the_same_public_key_twice_is_a_conflict(api, signing_key):
    pem = public_pem(signing_key[0])

    response = api.post("/api/v1/signing-keys", {"public_key": pem}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "signing_key_exists"


def test_with_signatures_required_an_unsigned_payout_batch_is_401_and_writes_nothing(
    api,
    signing_key,
    required,
    settled,  # noqa: F811
):
    settled(1_000_000)

    response = api.post(PAYOUTS, batch(), format="json", HTTP_IDEMPOTENCY_KEY="k1")

    body = assert_refused(response, "signature_required", "Signature")
    assert "Signature-Input" in body["detail"]
    assert nothing_written()


def test_with_signatures_required_a_correctly_signed_payout_batch_is_accepted(
    api,
    signing_key,
    required,
    settled,  # noqa: F811
):
    settled(1_000_000)

    response = post_signed(api, PAYOUTS, batch(), *signing_key, idempotency_key="k1")

    assert response.status_code == 201, response.content
    assert PayoutBatch.objects.get().reference == "payroll-1"
    assert SeenSignature.objects.count() == 1


def test_an_ecdsa_p256_signed_payout_batch_is_accepted(api, merchant, required, settled):  # noqa: F811
    settled(1_000_000)
    private = new_private_key("p256")
    key = signing_key_create(merchant=merchant, livemode=False, public_key=public_pem(private))

    response = post_signed(api, PAYOUTS, batch(), private, key.public_id, idempotency_key="k1")

    assert response.status_code == 201, response.content


def test_a_tampered_body_is_401_digest_mismatch_and_writes_nothing(
    api,
    signing_key,
    required,
    settled,  # noqa: F811
):
    settled(1_000_000)
    signed_body = json.dumps(batch()).encode()
    headers = signed_headers(
        *signing_key, method="POST", path=PAYOUTS, body=signed_body, idempotency_key="k1"
    )
    tampered = batch()
    tampered["items"][0]["iban"] = tampered["items"][1]["iban"]  # the money goes elsewhere

    response = api.post(
        PAYOUTS, data=json.dumps(tampered).encode(), content_type="application/json", **headers
    )

    assert_refused(response, "content_digest_mismatch", "Content-Digest")
    assert nothing_written()


def test_a_signature_by_another_key_or_over_another_path_is_invalid(
    api,
    signing_key,
    required,
    settled,  # noqa: F811
):
    settled(1_000_000)
    stranger = new_private_key("ed25519")
    body = json.dumps(batch()).encode()
    other_path = signed_headers(
        signing_key[0],
        signing_key[1],
        method="POST",
        path="/api/v1/charge-batches",
        body=body,
        idempotency_key="k1",
    )

    by_stranger = post_signed(api, PAYOUTS, batch(), stranger, signing_key[1])
    wrong_path = api.post(PAYOUTS, data=body, content_type="application/json", **other_path)

    assert_refused(by_stranger, "signature_invalid", "Signature")
    assert_refused(wrong_path, "signature_invalid", "Signature")
    assert nothing_written()


def test_revoking_is_signed_too_and_a_revoked_key_is_named_as_the_fault(api, signing_key, required):
    path = f"/api/v1/signing-keys/{signing_key[1]}"
    unsigned = api.delete(path, HTTP_IDEMPOTENCY_KEY="r1")
    assert_refused(unsigned, "signature_required", "Signature")
    assert SigningKey.objects.get().revoked_at is None

    headers = signed_headers(
        *signing_key, method="DELETE", path=path, body=b"", idempotency_key="r2"
    )
    revoked = api.delete(path, **headers)
    assert revoked.status_code == 200, revoked.content
    assert revoked.json()["revoked_at"]

    response = post_signed(api, PAYOUTS, batch(), *signing_key)

    assert_refused(response, "signature_invalid", "Signature-Input")
    assert PayoutBatch.objects.count() == 0


def test_a_signature_not_covering_the_idempotency_key_is_incomplete(api, signing_key, required):
    response = post_signed(
        api, PAYOUTS, batch(), *signing_key, components=("@method", "@path", "content-digest")
    )

    body = assert_refused(response, "signature_incomplete", "Signature-Input")
    assert "idempotency-key" in body["detail"]


def test_the_same_signature_twice_is_refused_as_a_replay(
    api,
    signing_key,
    required,
    settled,  # noqa: F811
):
    settled(1_000_000)
    body = json.dumps(batch()).encode()
    headers = signed_headers(
        *signing_key, method="POST", path=PAYOUTS, body=body, idempotency_key="k1"
    )
    first = api.post(PAYOUTS, data=body, content_type="application/json", **headers)

    again = api.post(PAYOUTS, data=body, content_type="application/json", **headers)

    assert first.status_code == 201
    assert_refused(again, "signature_replayed", "Signature")
    assert PayoutBatch.objects.count() == 1


def test_a_signature_older_than_five_minutes_is_expired(api, signing_key, required):
    created = datetime.now(UTC) - timedelta(minutes=5, seconds=5)

    response = post_signed(api, PAYOUTS, batch(), *signing_key, created=created)

    assert_refused(response, "signature_expired", "Signature-Input")
    assert nothing_written()


def test_a_seen_signature_is_kept_until_it_could_no_longer_pass_the_window(
    api,
    signing_key,
    required,
    settled,  # noqa: F811
):
    settled(1_000_000)
    assert post_signed(api, PAYOUTS, batch(), *signing_key).status_code == 201
    expires = SeenSignature.objects.get().expires_at

    assert seen_signatures_prune(now=expires - timedelta(seconds=1)) == 0
    assert seen_signatures_prune(now=expires + timedelta(seconds=1)) == 1


def test_a_signed_refund_passes_and_an_unsigned_one_is_refused(
    api, signing_key, required, captured_payment
):
    path = f"/api/v1/payments/{captured_payment.public_id}/refunds"

    unsigned = api.post(path, {"amount": 100}, format="json", HTTP_IDEMPOTENCY_KEY="u")
    signed = post_signed(api, path, {"amount": 100}, *signing_key, idempotency_key="s")

    assert_refused(unsigned, "signature_required", "Signature")
    assert signed.status_code == 201, signed.content
    assert Refund.objects.count() == 1


def test_registering_a_key_needs_a_signature_by_a_registered_one_once_required(
    api, signing_key, required
):
    new = public_pem(new_private_key("ed25519"))

    unsigned = api.post("/api/v1/signing-keys", {"public_key": new}, format="json")
    signed = post_signed(api, "/api/v1/signing-keys", {"public_key": new}, *signing_key)

    assert_refused(unsigned, "signature_required", "Signature")
    assert signed.status_code == 201, signed.content


def test_without_the_requirement_unsigned_requests_pass_and_a_bad_signature_does_not(
    api,
    signing_key,
    settled,  # noqa: F811
):
    settled(1_000_000)
    stranger = new_private_key("ed25519")

    unsigned = api.post(PAYOUTS, batch("a"), format="json")
    badly_signed = post_signed(api, PAYOUTS, batch("b"), stranger, signing_key[1])

    assert unsigned.status_code == 201
    assert_refused(badly_signed, "signature_invalid", "Signature")


def test_reading_is_never_asked_for_a_signature(api, signing_key, required):
    assert api.get(PAYOUTS).status_code == 200
    assert api.get("/api/v1/signing-keys").status_code == 200


def test_a_key_of_another_merchant_is_unknown_here(api, other_merchant, required):
    private = new_private_key("ed25519")
    theirs = signing_key_create(
        merchant=other_merchant, livemode=False, public_key=public_pem(private)
    )

    response = post_signed(api, PAYOUTS, batch(), private, theirs.public_id)

    assert_refused(response, "signature_invalid", "Signature-Input")


def test_time_travel_does_not_help_a_replay_inside_the_window(
    api,
    signing_key,
    required,
    settled,  # noqa: F811
):
    settled(1_000_000)
    body = json.dumps(batch()).encode()
    headers = signed_headers(
        *signing_key, method="POST", path=PAYOUTS, body=body, idempotency_key="k1"
    )
    assert (
        api.post(PAYOUTS, data=body, content_type="application/json", **headers).status_code == 201
    )

    with time_machine.travel(datetime.now(UTC) + timedelta(minutes=4)):
        again = api.post(PAYOUTS, data=body, content_type="application/json", **headers)

    assert_refused(again, "signature_replayed", "Signature")


GOOD_INPUT = (
    'sig1=("@method" "@path" "content-digest" "idempotency-key");created={created};keyid="{key}"'
)


@pytest.mark.parametrize(
    ("signature_input", "signature"),
    [
        ("", ":AAAA:"),
        ("sig1=", ":AAAA:"),
        ("garbage \x00 here", ":AAAA:"),
        ("x" * 20_000, ":AAAA:"),
        ('sig1=("@method");created="soon";keyid="k"', ":AAAA:"),
        ('sig1=("@method" "@path" "content-digest" "idempotency-key");keyid="k"', ":AAAA:"),
        (GOOD_INPUT, "sig1=:AAAA:"),
        (GOOD_INPUT, "sig1=notbytes"),
        (GOOD_INPUT, "other=:AAAA:"),
        (GOOD_INPUT + ', sig2=("@method");created=1;keyid="k"', "sig1=:AAAA:"),
        (GOOD_INPUT.replace("{created}", "99999999999999"), "sig1=:AAAA:"),
        (GOOD_INPUT.replace('keyid="{key}"', "keyid=5"), "sig1=:AAAA:"),
        (GOOD_INPUT, "sig1=:" + "A" * 20_000 + ":"),
        (GOOD_INPUT, ""),
    ],
)
def test_a_malformed_signature_is_a_401_problem_never_a_500_and_writes_nothing(
    api, signing_key, required, signature_input, signature
):
    import time

    value = signature_input.replace("{created}", str(int(time.time()))).replace(
        "{key}", signing_key[1]
    )
    headers = {"HTTP_IDEMPOTENCY_KEY": "k", "HTTP_CONTENT_DIGEST": "sha-256=:AAAA:"}
    if value:
        headers["HTTP_SIGNATURE_INPUT"] = value
    if signature:
        headers["HTTP_SIGNATURE"] = signature

    response = api.post(PAYOUTS, batch(), format="json", **headers)

    assert response.status_code == 401, response.content
    body = response.json()
    assert body["code"].startswith("signature_") or body["code"] == "content_digest_mismatch"
    assert body["errors"][0]["field"] in {"Signature", "Signature-Input", "Content-Digest"}
    assert nothing_written()
