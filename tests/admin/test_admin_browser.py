"""In a real browser: sign in with password and TOTP, then refund with a fresh code."""

import os
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from payments.models import Refund
from tests.admin.conftest import PASSWORD, totp_now
from tests.conftest import CHROMIUM


@pytest.mark.browser
def test_staff_signs_in_with_totp_and_refunds_with_a_fresh_code(
    live_server, manager, captured_payment
):
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with time_machine.travel(timezone.now(), tick=True) as clock, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM)
        page = browser.new_page()
        errors = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(f"{live_server.url}/admin/")
        page.fill("#id_username", manager.username)
        page.fill("#id_password", PASSWORD)
        page.fill("#id_otp_token", totp_now(manager))
        page.click("input[type=submit]")
        page.wait_for_selector("#dashboard")

        page.goto(f"{live_server.url}/admin/payments/order/{captured_payment.order_id}/change/")
        page.click(f"#refund-{captured_payment.public_id}")
        page.fill("#id_amount", "2.50")
        page.fill("#id_reason", "Customer returned one item")
        page.check("#id_confirm")
        # The sign-in code is spent; the refund needs the next one.
        clock.shift(timedelta(seconds=30))
        page.fill("#id_otp_token", totp_now(manager))
        page.click("#refund-form input[type=submit]")
        page.wait_for_selector(".messagelist .success")
        message = page.inner_text(".messagelist")
        browser.close()

    refund = Refund.objects.get(payment=captured_payment)
    assert refund.amount == 250
    assert "$2.50" in message
    assert not [e for e in errors if "Content Security Policy" in e]
