"""A merchant's look on the hosted checkout: its logo address and accent colour, validated.

The accent colour is the Pay button's background behind white text and the colour of links and
borders on white, so it must keep WCAG's 4.5:1 contrast against white.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError

HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
MIN_CONTRAST = 4.5


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4


def relative_luminance(colour: str) -> float:
    """Return the WCAG relative luminance of ``#rrggbb``."""
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def contrast_with_white(colour: str) -> float:
    """Return the WCAG contrast ratio of ``#rrggbb`` against white (1 to 21)."""
    return 1.05 / (relative_luminance(colour) + 0.05)


def validate_brand_colour(value: str) -> None:
    if not HEX_COLOUR.match(value or ""):
        raise ValidationError("Enter a colour as #rrggbb, e.g. #3d4eac.", code="invalid_colour")
    ratio = contrast_with_white(value)
    if ratio < MIN_CONTRAST:
        raise ValidationError(
            "This colour is too light for white text on it (contrast %(ratio).1f:1; at least "
            "4.5:1 is needed). Choose a darker colour.",
            code="low_contrast",
            params={"ratio": ratio},
        )


def validate_https_url(value: str) -> None:
    parts = urlsplit(value or "")
    if parts.scheme != "https" or not parts.hostname:
        raise ValidationError("Enter an https:// address.", code="not_https")


def logo_origin(url: str) -> str:
    """Return ``https://host[:port]`` of a logo address (what the page's CSP must allow)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"
