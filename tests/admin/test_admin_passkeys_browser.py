"""In Chromium with a virtual authenticator: a staff user adds a passkey, signs in with it
instead of a code, and confirms a refund with it."""

import os
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from backoffice.models import AuditLog, WebAuthnDevice
from payments.models import Refund
from tests.admin.conftest import PASSWORD, totp_now
from tests.conftest import CHROMIUM


def virtual_authenticator(page):
    """Attach a platform authenticator (fingerprint already verified) to ``page``."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    return cdp


@pytest.mark.browser
def test_staff_adds_a_passkey_signs_in_with_it_and_refunds_with_it_as_step_up(
    live_server, manager, captured_payment, settings
):
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    settings.SITE_URL = live_server.url  # http://localhost:<port>: the relying party
    from playwright.sync_api import sync_playwright

    with time_machine.travel(timezone.now(), tick=True) as clock, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM)
        page = browser.new_page()
        virtual_authenticator(page)
        errors = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

        # Signed in with the TOTP app, the staff member adds a passkey (stepped up by a code).
        page.goto(f"{live_server.url}/admin/")
        page.fill("#id_username", manager.username)
        page.fill("#id_password", PASSWORD)
        page.fill("#id_otp_token", totp_now(manager))
        page.click("#login-form input[type=submit]")
        page.wait_for_selector("#dashboard")
        page.goto(f"{live_server.url}/admin/passkeys/")
        page.fill("#id_name", "laptop")
        clock.shift(timedelta(seconds=30))
        page.fill("#id_otp_token", totp_now(manager))
        page.click("#passkey-add-form input[type=submit]")
        page.wait_for_selector(".messagelist .success")
        assert "laptop" in page.inner_text("#passkeys")

        # Signed out, they sign in with password and the passkey: no code typed.
        page.context.clear_cookies()
        page.goto(f"{live_server.url}/admin/login/")
        page.fill("#id_username", manager.username)
        page.fill("#id_password", PASSWORD)
        page.click("#login-form .passkey-button")
        page.wait_for_selector("#dashboard")

        # The refund's step-up takes the passkey too.
        page.goto(f"{live_server.url}/admin/payments/order/{captured_payment.order_id}/change/")
        page.click(f"#refund-{captured_payment.public_id}")
        page.fill("#id_amount", "2.50")
        page.fill("#id_reason", "Customer returned one item")
        page.check("#id_confirm")
        page.click("#refund-form .passkey-button")
        page.wait_for_selector(".messagelist .success")
        browser.close()

    refund = Refund.objects.get(payment=captured_payment)
    assert refund.amount == 250
    device = WebAuthnDevice.objects.get(user=manager)
    assert device.sign_count >= 2 and device.last_used_at is not None
    assert AuditLog.objects.filter(action="passkey.added", actor=manager).count() == 1
    assert not AuditLog.objects.filter(action="step_up.refused").exists()
    assert not [e for e in errors if "Content Security Policy" in e]
