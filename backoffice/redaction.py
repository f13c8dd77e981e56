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
    {"cvc", "cvv", "otp", "otp_code", "secret", "password", "raw_key", "api_key"}
)
#: Fields dropped when they hold digits (a one-time code); a problem's or a decline's ``code``
#: (``validation_failed``) is what support searches by, and is kept.
CODE_FIELDS = frozenset({"code"})
#: Fields of a sandbox OTP message (``"object": "otp_message"``) that quote the code.
OTP_MESSAGE_FIELDS = frozenset({"body", "code"})
#: Fields that hold a card number: masked even when the number is not Luhn-valid; ``number``
#: only in a card (beside ``cvc`` or ``exp_month``), not an invoice's number.
CARD_FIELDS = frozenset({"card_number", "pan"})
_CARD_KEYS = frozenset({"cvc", "exp_month", "exp_year"})
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


def _has_digit(value) -> bool:
    return isinstance(value, int) or (isinstance(value, str) and any(c.isdigit() for c in value))


def redact_data(value):
    """Return a copy of decoded JSON ``value`` fit to store: CVC, one-time codes (and the
    sandbox's messages quoting them) and secrets removed, card numbers masked (a card's
    ``number`` whatever its digits, elsewhere by ``redact``)."""
    if isinstance(value, dict):
        out = {}
        otp_message = value.get("object") == "otp_message"
        card_fields = CARD_FIELDS | {"number"} if _CARD_KEYS & set(value) else CARD_FIELDS
        for key, item in value.items():
            name = str(key).lower()
            if (
                name in DROPPED_FIELDS
                or (name in CODE_FIELDS and _has_digit(item))
                or (otp_message and name in OTP_MESSAGE_FIELDS)
            ):
                out[key] = REMOVED
            elif name in card_fields and isinstance(item, str | int):
                out[key] = MASKED
            else:
                out[key] = redact_data(item)
        return out
    if isinstance(value, list):
        return [redact_data(item) for item in value]
    if isinstance(value, str):
        return redact(value)
    return value
