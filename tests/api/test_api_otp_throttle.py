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
