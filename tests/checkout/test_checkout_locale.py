"""The hosted checkout writes amounts as the shopper's language does (Accept-Language)."""

import pytest

from .conftest import pay_path

pytestmark = pytest.mark.django_db

NBSP = "\u00a0"


def test_checkout_page_writes_amounts_the_german_way_for_a_german_browser(client, make_order):
    order = make_order(amount=123450, currency="EUR")

    response = client.get(pay_path(order), HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9,en;q=0.5")

    html = response.content.decode()
    assert response.status_code == 200
    assert f"1.234,50{NBSP}€" in html
    assert "€1,234.50" not in html
    assert response["Content-Language"] == "de"
    assert "Accept-Language" in response["Vary"]


def test_checkout_page_writes_amounts_in_english_without_or_with_an_unknown_language(
    client, make_order
):
    order = make_order(amount=123450, currency="EUR")

    for header in ({}, {"HTTP_ACCEPT_LANGUAGE": "en-GB,en;q=0.8"}, {"HTTP_ACCEPT_LANGUAGE": "xx"}):
        html = client.get(pay_path(order), **header).content.decode()

        assert "€1,234.50" in html, header
        assert "1.234,50" not in html, header


@pytest.mark.parametrize(
    ("language", "shown"),
    [("fr", f"1\u202f234,50{NBSP}€"), ("nl", f"€{NBSP}1.234,50"), ("ja", "€1,234.50")],
)
def test_checkout_page_follows_each_offered_language(client, make_order, language, shown):
    order = make_order(amount=123450, currency="EUR")

    html = client.get(pay_path(order), HTTP_ACCEPT_LANGUAGE=language).content.decode()

    assert shown in html
