"""Masking of card data and secrets in text we keep: log lines and stored request bodies.

One place, so the request log (``developers``) stores bodies redacted exactly as the log lines
are (``merchant_portal.log_format``): card numbers (Luhn-valid, 12 to 19 digits, however
written) become ``[card number]``, API keys and webhook signing secrets keep only their prefix.
``redact_data`` also drops the fields that hold a CVC, an OTP code or a secret altogether.
"""

from __future__ import annotations

import re

# A card number however written (12 to 19 digits, spaces or dashes between them).
CARD_NUMBER = re.compile(r"(?<!\d)(?:\d[ -]?){11,18}\d(?!\d)")
_SECRET = re.compile(r"\b(sk_(?:test|live)_|whsec_)[A-Za-z0-9_+/=-]+")
#: Fields whose value is never stored, whatever it looks like.
DROPPED_FIELDS = frozenset(
    {"cvc", "cvv", "code", "otp", "otp_code", "secret", "password", "raw_key", "api_key"}
)
#: Fields that hold a card number: masked even when the number is not Luhn-valid.
CARD_FIELDS = frozenset({"number", "card_number", "pan"})
REMOVED = "[removed]"
MASKED = "[card number]"


def luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def _mask_card(match: re.Match) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    return MASKED if luhn_valid(digits) else match.group(0)


def redact(text: str) -> str:
    """Return ``text`` with card numbers, API keys and signing secrets masked."""
    return _SECRET.sub(r"\1[redacted]", CARD_NUMBER.sub(_mask_card, text))


def redact_data(value):
    """Return a copy of decoded JSON ``value`` fit to store: CVC, OTP codes and secrets
    removed, card numbers masked (in card fields whatever their digits, elsewhere by
    ``redact``)."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            name = str(key).lower()
            if name in DROPPED_FIELDS:
                out[key] = REMOVED
            elif name in CARD_FIELDS and isinstance(item, str | int):
                out[key] = MASKED
            else:
                out[key] = redact_data(item)
        return out
    if isinstance(value, list):
        return [redact_data(item) for item in value]
    if isinstance(value, str):
        return redact(value)
    return value
