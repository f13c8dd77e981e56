"""Card and phone helpers of the sandbox institutions: fingerprints, Luhn, masking.

A card is known to the sandbox only by its fingerprint (HMAC-SHA256 of the PAN under a fixed,
public sandbox key) and its last four digits: the PAN itself is never stored or logged.
"""

from __future__ import annotations

import hashlib
import hmac

# Public on purpose: it only lets the sandbox recognise its own published test cards.
SANDBOX_FINGERPRINT_KEY = b"institutions-sandbox-card-fingerprint-v1"


def digits_only(value: str) -> str:
    return "".join(ch for ch in value if ch.isdigit())


def card_fingerprint(pan: str) -> str:
    """Return the hex HMAC-SHA256 of the PAN's digits under the sandbox key."""
    return hmac.new(SANDBOX_FINGERPRINT_KEY, digits_only(pan).encode(), hashlib.sha256).hexdigest()


def luhn_valid(pan: str) -> bool:
    """Return True when the number has 12-19 digits and passes the Luhn check."""
    digits = digits_only(pan)
    if len(digits) != len(pan.replace(" ", "").replace("-", "")) or not 12 <= len(digits) <= 19:
        return False
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def normalize_phone(phone: str) -> str:
    """Return the phone number as ``+`` and digits (E.164 shape); "" when there are no digits."""
    digits = digits_only(phone)
    return f"+{digits}" if digits else ""


def mask_phone(phone: str) -> str:
    """Return ``+1 ••• ••• 0123`` for ``+15555550123``: country prefix and last four only."""
    phone = normalize_phone(phone)
    if len(phone) < 8:
        return "•••"
    return f"{phone[:2]} ••• ••• {phone[-4:]}"
