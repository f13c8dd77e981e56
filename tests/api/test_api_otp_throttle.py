"""Throttled OTP tries and resends answer 429 with Retry-After, so clients know when to retry."""

import pytest

from tests.api.conftest import card_body
from tests.conftest import OTP_CARD

pytestmark = pytest.mark.django_db


def test_a_try_right_after_a_wrong_code_is_429_with_retry_after(
    api, create_order, pay_order, settings
):
    settings.PAYMENTS_OTP_THROTTLE_FACTOR = 1
    payment = pay_order(create_order()["id"], card_body(OTP_CARD)).json()
    url = f"/api/v1/payments/{payment['id']}/otp"
    assert api.post(url, {"code": "000000"}, format="json").status_code == 400

    response = api.post(url, {"code": "000000"}, format="json")

    assert response.status_code == 429
    assert response.json()["code"] == "otp_throttled"
    assert response["Retry-After"] == "1"
    assert "1 second" in response.json()["detail"]


def test_a_resend_inside_the_cooldown_is_429_with_retry_after(api, create_order, pay_order):
    payment = pay_order(create_order()["id"], card_body(OTP_CARD)).json()

    response = api.post(f"/api/v1/payments/{payment['id']}/otp/resend")

    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 30


def test_a_locked_order_declines_new_payments_authentication_locked(
    api, create_order, pay_order, settings
):
    """Issue 17, point 2: the order's wrong codes are capped across its payments."""
    settings.PAYMENTS_OTP_MAX_FAILURES_PER_ORDER = 2
    order = create_order()
    payment = pay_order(order["id"], card_body(OTP_CARD)).json()
    url = f"/api/v1/payments/{payment['id']}/otp"
    assert api.post(url, {"code": "000000"}, format="json").status_code == 400

    locked = api.post(url, {"code": "000000"}, format="json")
    again = pay_order(order["id"], card_body(OTP_CARD))

    assert locked.status_code == 200
    assert (locked.json()["status"], locked.json()["decline_code"]) == (
        "declined",
        "authentication_locked",
    )
    assert again.status_code == 201
    assert again.json()["decline_code"] == "authentication_locked"
    assert "Too many wrong verification codes" in again.json()["decline_message"]
