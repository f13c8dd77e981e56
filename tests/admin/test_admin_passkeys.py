"""Staff passkeys without a browser: removal is stepped up and audited, a forged or replayed
answer passes no step-up, and a user may have several."""

import json

import pytest
from django_otp import match_token

from backoffice.models import AuditLog, WebAuthnChallenge, WebAuthnDevice
from backoffice.webauthn import staff_authentication_options
from tests.admin.conftest import totp_now

pytestmark = pytest.mark.django_db


def _device(user, name="laptop", credential_id="Y3JlZA"):
    return WebAuthnDevice.objects.create(
        user=user, name=name, confirmed=True, credential_id=credential_id, public_key=b"\xa0"
    )


def test_removing_a_passkey_asks_for_a_fresh_code_first(login, manager):
    device = _device(manager)
    client = login(manager)

    page = client.post(f"/admin/passkeys/{device.pk}/remove/")

    assert page.status_code == 200
    assert b"step-up-form" in page.content
    assert WebAuthnDevice.objects.filter(pk=device.pk).exists()


def test_removing_a_passkey_with_a_fresh_code_deletes_it_and_is_audited(login, manager):
    device = _device(manager)
    _device(manager, "phone", "b3RoZXI")
    client = login(manager)

    response = client.post(f"/admin/passkeys/{device.pk}/remove/", {"otp_token": totp_now(manager)})

    assert response.status_code == 302
    assert list(WebAuthnDevice.objects.values_list("name", flat=True)) == ["phone"]
    entry = AuditLog.objects.get(action="passkey.removed")
    assert entry.actor == manager and entry.details == {"device": "laptop"}


def test_nobody_removes_another_users_passkey(login, manager, make_staff, merchant):
    other = make_staff(merchant, "manager")
    device = _device(other)

    response = login(manager).post(
        f"/admin/passkeys/{device.pk}/remove/", {"otp_token": totp_now(manager)}
    )

    assert response.status_code == 404
    assert WebAuthnDevice.objects.filter(pk=device.pk).exists()


def test_the_passkeys_page_lists_only_the_users_own(login, manager, make_staff, merchant):
    _device(manager, "mine")
    _device(make_staff(merchant, "manager"), "theirs", "dGhlaXJz")

    html = login(manager).get("/admin/passkeys/").content.decode()

    assert "mine" in html and "theirs" not in html


def _forged_answer(device, challenge: str, origin: str) -> str:
    import base64

    client_data = json.dumps(
        {"type": "webauthn.get", "challenge": challenge, "origin": origin}
    ).encode()
    return json.dumps(
        {
            "id": device.credential_id,
            "rawId": device.credential_id,
            "type": "public-key",
            "response": {
                "clientDataJSON": base64.urlsafe_b64encode(client_data).decode().rstrip("="),
                "authenticatorData": "AAAA",
                "signature": "AAAA",
            },
        }
    )


def test_a_forged_answer_passes_no_step_up_and_spends_its_challenge(manager, settings):
    settings.SITE_URL = "http://localhost:8000"
    device = _device(manager)
    challenge = json.loads(staff_authentication_options(user=manager))["challenge"]

    forged = _forged_answer(device, challenge, "http://localhost:8000")

    assert match_token(manager, forged) is None
    assert not WebAuthnChallenge.objects.exists()  # single use, even when refused


def test_an_answer_made_for_another_origin_is_refused_and_leaves_the_challenge(manager, settings):
    settings.SITE_URL = "http://localhost:8000"
    device = _device(manager)
    challenge = json.loads(staff_authentication_options(user=manager))["challenge"]

    phished = _forged_answer(device, challenge, "http://evil.example")

    assert match_token(manager, phished) is None
    assert WebAuthnChallenge.objects.count() == 1


def test_a_code_of_the_totp_app_still_passes_beside_a_passkey(manager):
    _device(manager)

    assert match_token(manager, totp_now(manager)) is not None


def test_the_login_form_takes_a_passkey_answer_longer_than_a_code(client, manager):
    response = client.post(
        "/admin/login/",
        {"username": manager.username, "password": "x", "otp_token": "{" + "a" * 3000 + "}"},
    )

    assert response.status_code == 200
    assert b"do not match" in response.content


def test_a_password_only_session_learns_no_passkey_ids(client, manager):
    _device(manager)
    client.force_login(manager)  # no device verified this session

    options = client.post("/admin/passkeys/options/authenticate/").json()

    assert options["allowCredentials"] == []
