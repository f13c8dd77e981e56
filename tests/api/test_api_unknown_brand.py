"""A Luhn-valid card of no known brand is declined ``card_not_supported`` (issue 17, point 9)."""

import pytest

from tests.api.conftest import card_body

pytestmark = pytest.mark.django_db

UNKNOWN_BRAND = "1234567812345670"  # Luhn-valid, in no brand's BIN range


def test_api_declines_an_unknown_brand_card_not_supported(create_order, pay_order):
    response = pay_order(create_order()["id"], card_body(UNKNOWN_BRAND))

    assert response.status_code == 201, response.content
    payment = response.json()
    assert payment["status"] == "declined"
    assert payment["decline_code"] == "card_not_supported"
    assert payment["decline_message"]
