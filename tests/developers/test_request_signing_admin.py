"""Signing keys and the signing requirement in the back office: stepped up and audited."""

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from backoffice.models import AuditLog
from developers.models import RequestSigningPolicy, SigningKey
from developers.signing import signatures_required
from tests.admin.conftest import totp_now
from tests.developers.signing_client import new_private_key, public_pem

pytestmark = pytest.mark.django_db

ADD_KEY = "/admin/developers/signingkey/add/"


def _add_key(client, merchant, pem, code):
    return client.post(
        ADD_KEY,
        {"merchant": merchant.pk, "name": "payroll", "public_key_pem": pem, "otp_token": code},
    )


def test_registering_a_signing_key_without_a_fresh_code_is_refused_and_audited(
    login, manager, merchant
):
    client = login(manager)

    response = _add_key(client, merchant, public_pem(new_private_key()), "000000")

    assert response.status_code == 200  # the form again, with the error
    assert SigningKey.objects.count() == 0
    assert AuditLog.objects.filter(action="step_up.refused").count() == 1


def test_a_manager_registers_a_signing_key_with_a_fresh_code(login, manager, merchant):
    client = login(manager)

    response = _add_key(client, merchant, public_pem(new_private_key("p256")), totp_now(manager))

    assert response.status_code == 302, response.content.decode()[:2000]
    key = SigningKey.objects.get()
    assert (key.merchant, key.algorithm) == (merchant, "ecdsa-p256-sha256")
    assert AuditLog.objects.filter(action="signing_key.created").count() == 1


def test_a_private_key_pasted_by_mistake_is_refused_beside_the_field(login, manager, merchant):
    from cryptography.hazmat.primitives import serialization

    private = (
        new_private_key()
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )

    response = _add_key(login(manager), merchant, private, totp_now(manager))

    assert response.status_code == 200
    assert b"not a PEM public key" in response.content
    assert SigningKey.objects.count() == 0


def test_requiring_signatures_asks_for_a_code_and_is_audited(login, manager, merchant):
    client = login(manager)
    url = "/admin/developers/requestsigningpolicy/add/"

    refused = client.post(
        url, {"merchant": merchant.pk, "require_signatures": "on", "otp_token": "1"}
    )
    assert refused.status_code == 200 and not signatures_required(merchant=merchant)
    # django-otp slows down guessing after a wrong code; a real person waits a second.
    TOTPDevice.objects.filter(user=manager).update(throttling_failure_count=0)

    client.post(
        url,
        {"merchant": merchant.pk, "require_signatures": "on", "otp_token": totp_now(manager)},
    )

    assert signatures_required(merchant=merchant)
    assert RequestSigningPolicy.objects.get().require_signatures
    assert AuditLog.objects.filter(action="request_signing_policy.changed").count() == 1


def test_a_viewer_cannot_register_keys(login, make_staff, merchant):
    viewer = make_staff(merchant, "viewer")

    response = login(viewer).get(ADD_KEY)

    assert response.status_code == 403
