"""A merchant's checkout look: an https logo address and an accent colour that keeps white text
on it readable (WCAG 4.5:1)."""

import pytest
from django.core.exceptions import ValidationError

from payments.branding import contrast_with_white, validate_brand_colour, validate_https_url


@pytest.mark.parametrize("colour", ["#3d4eac", "#000000", "#1a1f36", "#B00020"])
def test_a_dark_hex_colour_is_accepted(colour):
    validate_brand_colour(colour)


@pytest.mark.parametrize(
    ("colour", "code"),
    [
        ("#ffffff", "low_contrast"),
        ("#ffd700", "low_contrast"),
        ("#7f7f7f", "low_contrast"),  # 4.0:1, just under
        ("3d4eac", "invalid_colour"),
        ("#3d4eacff", "invalid_colour"),
        ("#xyzxyz", "invalid_colour"),
        ("red", "invalid_colour"),
        ("", "invalid_colour"),
    ],
)
def test_a_light_or_malformed_colour_is_refused_with_its_reason(colour, code):
    with pytest.raises(ValidationError) as refused:
        validate_brand_colour(colour)

    assert refused.value.code == code


def test_contrast_is_computed_as_wcag_does():
    assert round(contrast_with_white("#000000"), 1) == 21.0
    assert round(contrast_with_white("#ffffff"), 1) == 1.0
    assert round(contrast_with_white("#767676"), 2) == 4.54  # the lightest grey passing AA


@pytest.mark.parametrize(
    "url",
    ["http://shop.example/logo.png", "javascript:alert(1)", "//shop.example/l.png", "https://"],
)
def test_a_logo_address_must_be_https(url):
    with pytest.raises(ValidationError):
        validate_https_url(url)


@pytest.mark.django_db
def test_the_merchant_model_validates_its_branding_fields(merchant):
    merchant.brand_logo_url = "http://shop.example/logo.png"
    merchant.brand_color = "#eeeeee"

    with pytest.raises(ValidationError) as refused:
        merchant.full_clean()

    assert set(refused.value.message_dict) == {"brand_logo_url", "brand_color"}


@pytest.mark.django_db
def test_the_database_refuses_a_colour_that_is_not_hex(merchant):
    from django.db import IntegrityError, transaction

    from payments.models import Merchant

    with pytest.raises(IntegrityError), transaction.atomic():
        Merchant.objects.filter(pk=merchant.pk).update(brand_color="red;}")
