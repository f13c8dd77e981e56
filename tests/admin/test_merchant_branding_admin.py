"""A merchant's checkout branding is set on its admin page and checked there (issue 18, point 3):
an https logo address and a colour dark enough for white text."""

import pytest
from django.urls import reverse

BASE = {"name": "Acme", "country": "US", "default_currency": "USD", "settlement_delay_days": "2"}


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("brand_color", "#ffe066", "This colour is too light for white text on it"),
        ("brand_color", "blue", "Enter a colour as #rrggbb"),
        ("brand_logo_url", "http://acme.example/logo.png", "Enter an https:// address."),
    ],
)
def test_a_bad_brand_setting_is_refused_beside_its_field(
    login, platform_user, merchant, field, value, error
):
    client = login(platform_user)

    response = client.post(
        reverse("admin:payments_merchant_change", args=[merchant.pk]), BASE | {field: value}
    )

    assert response.status_code == 200
    assert any(m.startswith(error) for m in response.context["adminform"].form.errors[field])
    merchant.refresh_from_db()
    assert (merchant.brand_color, merchant.brand_logo_url) == ("", "")


def test_a_good_brand_setting_is_saved_and_shown_on_the_checkout(
    login, platform_user, merchant, make_order, client
):
    staff = login(platform_user)

    staff.post(
        reverse("admin:payments_merchant_change", args=[merchant.pk]),
        BASE | {"brand_color": "#0b6e4f", "brand_logo_url": "https://acme.example/logo.svg"},
    )

    merchant.refresh_from_db()
    assert (merchant.brand_color, merchant.brand_logo_url) == (
        "#0b6e4f",
        "https://acme.example/logo.svg",
    )
    page = client.get(f"/checkout/{make_order().checkout_token}/")
    html = page.content.decode()
    assert ":root{--accent:#0b6e4f}" in html and 'src="https://acme.example/logo.svg"' in html
    csp = page["Content-Security-Policy"]
    assert "https://acme.example" in csp and "'nonce-" in csp
