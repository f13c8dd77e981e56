"""Exact conversion arithmetic: integer minor units in, integer minor units out, Decimal between.

Every result is rounded once, half-even, to the target currency's minor unit; nothing here reads
the database. The exponents are arguments, so the functions are the same for JPY (0) and KWD (3).
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Context, Decimal

BPS_DENOMINATOR = 10_000
# Wide enough that an 18-digit amount times a rate of 24 digits is exact before the one rounding.
_EXACT = Context(prec=60, rounding=ROUND_HALF_EVEN)
# Rates are kept to 12 decimal places (a cross rate such as JPY→KWD has 10 significant digits).
RATE_PLACES = Decimal("1e-12")


def _int(amount: object) -> int:
    if not isinstance(amount, int) or isinstance(amount, bool):
        raise TypeError(f"amount must be an int in minor units, not {type(amount).__name__}")
    return amount


def rate_quantize(rate: Decimal) -> Decimal:
    """Return ``rate`` rounded half-even to 12 decimal places (how every rate is stored)."""
    if not isinstance(rate, Decimal) or not rate.is_finite() or rate <= 0:
        raise ValueError(f"not a rate: {rate!r}")
    return rate.quantize(RATE_PLACES, rounding=ROUND_HALF_EVEN, context=_EXACT)


def rate_text(rate: Decimal) -> str:
    """Return the rate as plain decimal text without trailing zeros (1.1193, 175.68, 100)."""
    return format(rate.normalize(), "f")


def convert(amount: int, *, rate: Decimal, from_exponent: int, to_exponent: int) -> int:
    """Return ``amount`` (minor units of the source) times ``rate`` in minor units of the
    target, rounded half-even: ``convert(1000, rate=Decimal("150.5"), 2, 0)`` is 1505 (JPY)."""
    value = _EXACT.multiply(Decimal(_int(amount)), rate)
    value = value.scaleb(to_exponent - from_exponent, context=_EXACT)
    return int(value.to_integral_value(rounding=ROUND_HALF_EVEN, context=_EXACT))


def bps_of(amount: int, bps: int) -> int:
    """Return ``amount * bps / 10000`` rounded half-even to the minor unit (integers only, as the
    settlement's ``fee_sql`` does in SQL)."""
    quotient, remainder = divmod(_int(amount) * _int(bps), BPS_DENOMINATOR)
    half = BPS_DENOMINATOR // 2
    if remainder > half or (remainder == half and quotient % 2):
        quotient += 1
    return quotient


def convert_share(
    *, before: int, amount: int, rate: Decimal, from_exponent: int, to_exponent: int
) -> int:
    """Return the converted value of ``amount`` taken after ``before`` of the same total, so that
    the shares of any split of a total add up exactly to the converted total.

    Each share is the difference of two cumulative conversions: converting ``before + amount``
    and ``before`` and subtracting. A payment refunded in parts therefore gives back exactly
    what its capture converted to, to the minor unit, whatever the parts.
    """
    args = {"rate": rate, "from_exponent": from_exponent, "to_exponent": to_exponent}
    return convert(_int(before) + _int(amount), **args) - convert(before, **args)


def allocate(total: int, weights: list[int]) -> list[int]:
    """Split ``total`` in proportion to ``weights`` (non-negative ints, not all 0); the parts add
    up exactly to ``total``. Largest remainders get the leftover units, earlier parts first."""
    _int(total)
    if not weights or any(_int(w) < 0 for w in weights) or not sum(weights):
        raise ValueError("weights must be non-negative ints, not all 0")
    whole = sum(weights)
    floors = [total * w // whole for w in weights]
    remainders = [total * w % whole for w in weights]
    leftover = total - sum(floors)
    order = sorted(range(len(weights)), key=lambda i: (-remainders[i], i))
    for i in order[:leftover]:
        floors[i] += 1
    return floors
