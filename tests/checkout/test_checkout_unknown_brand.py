"""A Luhn-valid card of no known brand is declined on the checkout (issue 17, point 9)."""

import pytest

pytestmark = pytest.mark.django_db


def test_checkout_shows_card_not_supported_for_an_unknown_brand(client, order, submit_card):
    response = submit_card(order, number="1234 5678 1234 5670")

    assert response.status_code == 302
    payment = order.payments.get()
    assert payment.status == "declined" and payment.decline_code == "card_not_supported"
    page = client.get(response["Location"]).content.decode()
    assert "Payment declined" in page and "cannot be used" in page
