"""Validation of payment details before anything is routed.

Every function collects its errors field by field and returns them as a list of `FieldError`
(empty when the input is valid), so the checkout can show every mistake at once. Nothing here
raises for bad shopper input; wrapping the list in `payments.errors.ValidationFailed` is the
caller's job. Nothing here logs: the input may hold a PAN or a CVC.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from payments.money import CURRENCIES, to_major

__all__ = [
    "BRAND_LENGTHS",
    "HOLDER_NAME_MAX",
    "METHOD_CURRENCIES",
    "CardData",
    "FieldError",
    "card_brand",
    "luhn_valid",
    "mask_pan",
    "normalize_pan",
    "validate_amount",
    "validate_card",
    "validate_wallet",
]


@dataclass(frozen=True)
class FieldError:
    """One problem with one input field; `code` is stable, `message` is for people."""

    field: str
    code: str
    message: str


# --- card numbers -------------------------------------------------------------------------------

# Lengths a PAN of each brand may have.
BRAND_LENGTHS: Mapping[str, frozenset[int]] = {
    "visa": frozenset({13, 16, 19}),
    "mastercard": frozenset({16}),
    "amex": frozenset({15}),
    "discover": frozenset(range(16, 20)),
    "jcb": frozenset(range(16, 20)),
    "unionpay": frozenset(range(16, 20)),
    "diners": frozenset(range(14, 20)),
}
# A PAN of no known brand is accepted at these lengths if its Luhn check digit is right.
UNKNOWN_BRAND_LENGTHS = frozenset(range(12, 20))

# (brand, prefix length, first prefix, last prefix), inclusive. The first matching row wins.
# The 622126-622925 block is issued by China UnionPay and only accepted on the Discover network,
# so it is UnionPay here (as in Braintree's credit-card-type); no other range below overlaps.
_BIN_RANGES: tuple[tuple[str, int, int, int], ...] = (
    ("amex", 2, 34, 34),
    ("amex", 2, 37, 37),
    ("diners", 3, 300, 305),
    ("diners", 2, 36, 36),
    ("diners", 2, 38, 39),
    ("jcb", 4, 3528, 3589),
    ("visa", 1, 4, 4),
    ("mastercard", 2, 51, 55),
    ("mastercard", 4, 2221, 2720),
    ("discover", 4, 6011, 6011),
    ("discover", 3, 644, 649),
    ("discover", 2, 65, 65),
    ("unionpay", 2, 62, 62),
)

_SEPARATORS = re.compile(r"[ \-]")
_DIGITS = re.compile(r"[0-9]+")


def normalize_pan(raw: str) -> str:
    """Return the card number without spaces and dashes.

    Other characters are kept, so a result that is not all ASCII digits is an invalid number
    (`validate_card` answers it with `invalid_number`).
    """
    return _SEPARATORS.sub("", raw)


def luhn_valid(digits: str) -> bool:
    """Return whether a non-empty string of ASCII digits passes the Luhn (mod 10) check."""
    if not _DIGITS.fullmatch(digits):
        return False
    total = 0
    for position, char in enumerate(reversed(digits)):
        digit = ord(char) - 48
        if position % 2:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def card_brand(digits: str) -> str | None:
    """Return the brand a PAN (or its first digits) belongs to by BIN range, or None.

    Only the prefix is read, so a partly typed number already has a brand.
    """
    if not _DIGITS.fullmatch(digits):
        return None
    for brand, size, low, high in _BIN_RANGES:
        if len(digits) >= size and low <= int(digits[:size]) <= high:
            return brand
    return None


def mask_pan(first6: str, last4: str, length: int) -> str:
    """Return the PAN as shown to people: first 6 and last 4 digits, the rest as `*`.

    Numbers shorter than 13 digits show only their last 4, so that at least a third of the
    number stays hidden.
    """
    if not (_DIGITS.fullmatch(first6) and len(first6) == 6):
        raise ValueError("first6 must be 6 digits")
    if not (_DIGITS.fullmatch(last4) and len(last4) == 4):
        raise ValueError("last4 must be 4 digits")
    if not 12 <= length <= 19:
        raise ValueError("a PAN has 12 to 19 digits")
    if length < 13:
        return "*" * (length - 4) + last4
    return first6 + "*" * (length - 10) + last4


# --- cards --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CardData:
    """A validated card. Its repr shows neither the number, the CVC nor the holder's name."""

    number: str = field(repr=False)
    brand: str | None
    first6: str
    last4: str
    exp_month: int
    exp_year: int
    cvc: str = field(repr=False)
    holder_name: str = field(repr=False)

    @property
    def masked_number(self) -> str:
        return mask_pan(self.first6, self.last4, len(self.number))


HOLDER_NAME_MAX = 100
_HOLDER_PUNCTUATION = frozenset(" .'-")
# A card expiring more than this many years ahead is a typing mistake, not a card.
_EXPIRY_MAX_YEARS_AHEAD = 50


def _is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _utc_today() -> date:
    return datetime.now(UTC).date()


def _check_number(number: object) -> tuple[str | None, list[FieldError]]:
    name = "card.number"
    if _is_blank(number):
        return None, [FieldError(name, "required", "Enter your card number.")]
    invalid = FieldError(name, "invalid_number", "Your card number is invalid.")
    if not isinstance(number, str):
        return None, [invalid]
    digits = normalize_pan(number.strip())
    if not _DIGITS.fullmatch(digits):
        return None, [invalid]
    brand = card_brand(digits)
    lengths = BRAND_LENGTHS[brand] if brand else UNKNOWN_BRAND_LENGTHS
    if len(digits) < min(lengths):
        return None, [FieldError(name, "incomplete_number", "Your card number is incomplete.")]
    if len(digits) not in lengths or not luhn_valid(digits):
        return None, [invalid]
    return digits, []


def _parse_month(value: object) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        month = value
    elif isinstance(value, str) and re.fullmatch(r"[0-9]{1,2}", value.strip()):
        month = int(value.strip())
    else:
        return None
    return month if 1 <= month <= 12 else None


def _parse_year(value: object) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        if 0 <= value <= 99:
            return 2000 + value
        return value if 1000 <= value <= 9999 else None
    if isinstance(value, str) and re.fullmatch(r"[0-9]{2}|[0-9]{4}", value.strip()):
        text = value.strip()
        return 2000 + int(text) if len(text) == 2 else int(text)
    return None


def card_expired(*, exp_month: int, exp_year: int, today: date | None = None) -> bool:
    """Return True once the expiry month is over (a card is valid through its last day)."""
    today = today or _utc_today()
    return (exp_year, exp_month) < (today.year, today.month)


def _check_expiry(
    exp_month: object, exp_year: object, today: date
) -> tuple[tuple[int, int] | None, list[FieldError]]:
    errors = []
    month = year = None
    if _is_blank(exp_month):
        errors.append(FieldError("card.exp_month", "required", "Enter the expiry month."))
    elif (month := _parse_month(exp_month)) is None:
        errors.append(
            FieldError("card.exp_month", "invalid_expiry", "Your card's expiry month is invalid.")
        )
    if _is_blank(exp_year):
        errors.append(FieldError("card.exp_year", "required", "Enter the expiry year."))
    elif (year := _parse_year(exp_year)) is None or year > today.year + _EXPIRY_MAX_YEARS_AHEAD:
        errors.append(
            FieldError("card.exp_year", "invalid_expiry", "Your card's expiry year is invalid.")
        )
        year = None
    if month is None or year is None:
        return None, errors
    if card_expired(exp_month=month, exp_year=year, today=today):
        return None, [FieldError("card.exp_month", "expired_card", "Your card has expired.")]
    return (month, year), []


def _check_cvc(cvc: object, brand: str | None) -> tuple[str | None, list[FieldError]]:
    if _is_blank(cvc):
        return None, [FieldError("card.cvc", "required", "Enter your card's security code.")]
    # Without a valid number the brand is unknown, and either length is plausible.
    lengths = {"amex": "4", None: "3,4"}.get(brand, "3")
    if isinstance(cvc, str) and re.fullmatch(rf"[0-9]{{{lengths}}}", cvc.strip()):
        return cvc.strip(), []
    # Saying how many digits, and where, is what helps a shopper who typed the wrong code.
    message = {
        "amex": "Amex security codes have 4 digits, on the front of the card.",
        None: "Your card's security code is invalid.",
    }.get(brand, "This card's security code has 3 digits, on the back of the card.")
    return None, [FieldError("card.cvc", "invalid_cvc", message)]


def _check_holder_name(holder_name: object) -> tuple[str | None, list[FieldError]]:
    name = "card.holder_name"
    if _is_blank(holder_name):
        return None, [FieldError(name, "required", "Enter the name on the card.")]
    invalid = FieldError(name, "invalid_holder_name", "The name on the card is invalid.")
    if not isinstance(holder_name, str):
        return None, [invalid]
    # NFC first, so that "é" typed as e + combining accent counts as one letter.
    text = re.sub(" +", " ", unicodedata.normalize("NFC", holder_name)).strip()
    if len(text) > HOLDER_NAME_MAX:
        return None, [invalid]
    if not all(char.isalpha() or char in _HOLDER_PUNCTUATION for char in text):
        return None, [invalid]
    if not any(char.isalpha() for char in text):
        return None, [invalid]
    return text, []


def validate_card(
    *,
    number: str,
    exp_month: int | str,
    exp_year: int | str,
    cvc: str,
    holder_name: str,
    today: date | None = None,
) -> tuple[CardData | None, list[FieldError]]:
    """Return the normalized card and no errors, or None and every error found.

    `today` defaults to the current UTC date. A two-digit year means 20xx.
    """
    today = today or _utc_today()
    digits, errors = _check_number(number)
    brand = card_brand(digits) if digits else None
    expiry, expiry_errors = _check_expiry(exp_month, exp_year, today)
    checked_cvc, cvc_errors = _check_cvc(cvc, brand)
    name, name_errors = _check_holder_name(holder_name)
    errors += expiry_errors + cvc_errors + name_errors
    if errors or digits is None or expiry is None or checked_cvc is None or name is None:
        return None, errors
    card = CardData(
        number=digits,
        brand=brand,
        first6=digits[:6],
        last4=digits[-4:],
        exp_month=expiry[0],
        exp_year=expiry[1],
        cvc=checked_cvc,
        holder_name=name,
    )
    return card, []


# --- wallets ------------------------------------------------------------------------------------

_PHONE_SEPARATORS = re.compile(r"[ \-()]")
_E164 = re.compile(r"\+[1-9][0-9]{7,14}")


def validate_wallet(*, phone: str) -> tuple[str | None, list[FieldError]]:
    """Return the phone number in E.164 form (`+` and 8 to 15 digits) and no errors, or None."""
    if _is_blank(phone):
        return None, [FieldError("wallet.phone", "required", "Enter your phone number.")]
    if isinstance(phone, str):
        normalized = _PHONE_SEPARATORS.sub("", phone.strip())
        if _E164.fullmatch(normalized):
            return normalized, []
    return None, [
        FieldError(
            "wallet.phone",
            "invalid_phone",
            "Enter your phone number with its country code, e.g. +44 20 7946 0958.",
        )
    ]


# --- amounts ------------------------------------------------------------------------------------

# Currencies each payment method can be paid in.
METHOD_CURRENCIES: Mapping[str, frozenset[str]] = {
    "card": frozenset(CURRENCIES),
    "wallet": frozenset({"USD", "EUR", "GBP", "SGD", "HKD", "INR", "AUD", "CAD", "JPY"}),
    "bank_transfer": frozenset({"EUR", "GBP", "USD", "JPY", "CHF", "SEK", "NOK", "DKK"}),
}


def _major(amount: int, currency: str) -> str:
    return f"{to_major(amount, currency)} {currency}"


def validate_amount(*, amount: int, currency: str, method: str | None = None) -> list[FieldError]:
    """Return the errors of an amount in minor units, its currency and the method paying it.

    Raise `ValueError` for a method not in `METHOD_CURRENCIES`: methods come from a fixed list.
    """
    if method is not None and method not in METHOD_CURRENCIES:
        raise ValueError(f"unknown payment method: {method!r}")
    errors = []
    known = isinstance(currency, str) and currency in CURRENCIES
    if _is_blank(currency):
        errors.append(FieldError("currency", "required", "Enter a currency."))
    elif not known:
        errors.append(
            FieldError("currency", "unsupported_currency", "This currency is not supported.")
        )
    elif method is not None and currency not in METHOD_CURRENCIES[method]:
        errors.append(
            FieldError(
                "currency",
                "unsupported_method_currency",
                f"This payment method does not accept {currency}.",
            )
        )

    if amount is None:
        errors.append(FieldError("amount", "required", "Enter an amount."))
    elif not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        errors.append(
            FieldError(
                "amount",
                "invalid_amount",
                "The amount must be a positive whole number of the currency's minor unit.",
            )
        )
    elif known:
        limits = CURRENCIES[currency]
        if amount < limits.min_amount:
            message = f"The amount must be at least {_major(limits.min_amount, currency)}."
            errors.append(FieldError("amount", "amount_too_small", message))
        elif amount > limits.max_amount:
            message = f"The amount must be at most {_major(limits.max_amount, currency)}."
            errors.append(FieldError("amount", "amount_too_large", message))
    return errors


# --- metadata -----------------------------------------------------------------------------------

METADATA_MAX_KEYS = 50
METADATA_MAX_VALUE = 500


def validate_metadata(metadata: object, *, field: str = "metadata") -> list[FieldError]:
    """Return no errors for an object of at most 50 short keys with short scalar values."""
    if not isinstance(metadata, dict):
        return [FieldError(field, "invalid", "Metadata is an object of strings.")]
    if len(metadata) > METADATA_MAX_KEYS or any(
        not isinstance(k, str)
        or len(k) > 40
        or not isinstance(v, str | int | bool | None)
        or len(str(v)) > METADATA_MAX_VALUE
        for k, v in metadata.items()
    ):
        return [
            FieldError(
                field,
                "invalid",
                "Metadata holds at most 50 keys of up to 40 characters, with short scalar values.",
            )
        ]
    return []
