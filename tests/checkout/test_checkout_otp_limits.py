"""The checkout says why a payment is refused after too many wrong codes (issue 17, point 2)."""

import pytest

from tests.conftest import OTP_CARD

pytestmark = pytest.mark.django_db

TEXT = "Too many wrong verification codes were entered"


def test_the_order_locked_by_wrong_codes_says_so_on_the_checkout(
    client, order, submit_card, settings
):
    settings.PAYMENTS_OTP_MAX_FAILURES_PER_ORDER = 2
    location = submit_card(order, number=OTP_CARD)["Location"]
    client.post(location + "verify", {"code": "000000"})

    locked = client.post(location + "verify", {"code": "000000"})
    again = submit_card(order, number=OTP_CARD)

    assert TEXT in client.get(locked["Location"]).content.decode()
    page = client.get(again["Location"]).content.decode()
    assert "Payment declined" in page and TEXT in page
    assert list(order.payments.values_list("decline_code", flat=True).order_by("id")) == [
        "authentication_locked",
        "authentication_locked",
    ]
