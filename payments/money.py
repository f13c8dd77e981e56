"""Currencies, minor units and amount formatting.

Amounts are integers in the currency's minor unit, always beside an ISO 4217 code. The exponent
of each currency comes from `CURRENCIES`, never from an assumption of two decimals. Conversions
use `Decimal` only: a float is refused wherever an amount enters.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from babel.numbers import format_currency

from backoffice.display import active_locale

__all__ = [
    "CURRENCIES",
    "Currency",
    "UnknownCurrency",
    "active_locale",
    "currency_get",
    "exponent",
    "fixed_fee_default",
    "format_amount",
    "to_major",
    "to_minor",
]


class UnknownCurrency(KeyError):
    """The code is not in `CURRENCIES` (a `KeyError`, so `except KeyError` still catches it)."""

    def __init__(self, code: object) -> None:
        super().__init__(code)
        self.code = code

    def __str__(self) -> str:
        return f"Unknown or unsupported currency: {self.code!r}"


@dataclass(frozen=True)
class Currency:
    """An ISO 4217 currency and the amounts a single payment in it may have.

    `min_amount` and `max_amount` are inclusive bounds in minor units; `fixed_fee` is the fixed
    fee per captured payment that a merchant pays unless it has its own for the currency.
    """

    code: str
    exponent: int
    min_amount: int
    max_amount: int
    fixed_fee: int


# Exponents follow ISO 4217 (and agree with Babel's CLDR data, which a test checks). Minimums sit
# near half a US dollar, so that a payment is worth more than the fee it costs; maximums cap one
# payment near a million US dollars. Fixed fees sit near 0.30 US dollars, in round local amounts.
_ROWS: tuple[tuple[str, int, int, int, int], ...] = (
    # code, exponent, min_amount, max_amount, fixed_fee (minor units)
    ("USD", 2, 50, 99_999_999, 30),  # 0.30
    ("EUR", 2, 50, 99_999_999, 30),  # 0.30
    ("GBP", 2, 30, 99_999_999, 30),  # 0.30
    ("CHF", 2, 50, 99_999_999, 30),  # 0.30
    ("CAD", 2, 50, 99_999_999, 30),  # 0.30
    ("AUD", 2, 50, 99_999_999, 30),  # 0.30
    ("SGD", 2, 50, 99_999_999, 50),  # 0.50
    ("HKD", 2, 400, 99_999_999, 235),  # 2.35
    ("SEK", 2, 300, 999_999_999, 180),  # 1.80
    ("NOK", 2, 300, 999_999_999, 200),  # 2.00
    ("DKK", 2, 250, 999_999_999, 180),  # 1.80
    ("INR", 2, 5_000, 9_999_999_999, 300),  # 3.00
    ("JPY", 0, 50, 99_999_999, 40),  # 40
    ("KWD", 3, 100, 99_999_999, 100),  # 0.100
    ("BHD", 3, 100, 99_999_999, 100),  # 0.100
    ("JOD", 3, 100, 99_999_999, 100),  # 0.100
    ("OMR", 3, 100, 99_999_999, 100),  # 0.100
)
CURRENCIES: dict[str, Currency] = {row[0]: Currency(*row) for row in _ROWS}


# Digits before the point beyond which text is no amount: a BigIntegerField holds 9.2e18.
MAX_DIGITS = 18


def currency_get(code: str) -> Currency:
    """Return the currency for an upper-case ISO 4217 code; raise `UnknownCurrency` otherwise."""
    try:
        return CURRENCIES[code]
    except (KeyError, TypeError):
        raise UnknownCurrency(code) from None


def exponent(code: str) -> int:
    """Return the number of decimal places of the currency's minor unit (JPY 0, USD 2, KWD 3)."""
    return currency_get(code).exponent


def fixed_fee_default(code: str) -> int:
    """Return the default fixed fee per payment in the currency's minor units (USD 30, JPY 40,
    KWD 100); raise `UnknownCurrency` for a currency not in the table."""
    return currency_get(code).fixed_fee


def _require_int(amount: object) -> int:
    # bool is an int subclass: True would otherwise pass as one minor unit.
    if not isinstance(amount, int) or isinstance(amount, bool):
        raise TypeError(f"amount must be an int in minor units, not {type(amount).__name__}")
    return amount


def to_major(amount: int, currency: str) -> Decimal:
    """Return the amount in major units with exactly the currency's decimals (1250 USD → 12.50)."""
    return Decimal(_require_int(amount)).scaleb(-exponent(currency))


def to_minor(value: str | Decimal, currency: str) -> int:
    """Return the amount in minor units of a decimal string or `Decimal` ("12.5" USD → 1250).

    Raise `TypeError` for floats (and anything else not a str or Decimal) and `ValueError` for
    text that is not a finite number, is larger than any amount (more than `MAX_DIGITS` digits
    before the point) or has more decimals than the currency allows.
    """
    if isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            raise ValueError(f"not a decimal number: {value!r}") from None
    elif isinstance(value, Decimal):
        number = value
    else:
        raise TypeError(f"amount must be a decimal string or Decimal, not {type(value).__name__}")
    if not number.is_finite():
        raise ValueError(f"not a finite amount: {value!r}")
    if number.adjusted() > MAX_DIGITS:
        # "1e999999" is short text: scaled, it overflows Decimal; a little less costs a minute
        # of CPU to turn into an int. No amount is that large.
        raise ValueError(f"not an amount, too large: {value!r}")
    exp = exponent(currency)
    minor = number.scaleb(exp)
    if minor != minor.to_integral_value():
        raise ValueError(f"{currency} amounts have at most {exp} decimal places: {value!r}")
    return int(minor)


def format_amount(amount: int, currency: str, locale: str = "en_US") -> str:
    """Return the amount as the locale writes it, with the currency's decimals.

    `format_amount(1200, "JPY")` is "¥1,200"; `format_amount(12500, "KWD")` is "KWD12.500".
    """
    return format_currency(to_major(amount, currency), currency, locale=locale)
