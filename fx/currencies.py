"""The exponent of each currency, asked of the table ``payments`` registers at start-up.

The exponents have one home, ``payments.money``; ``fx`` sits below ``payments`` and may not
import it, so ``PaymentsConfig.ready()`` hands its lookup over here (as ``billing`` hands its
saved-method resolver to ``payments``).
"""

from __future__ import annotations

from collections.abc import Callable

_lookup: list[Callable[[str], int]] = []


def exponent_lookup_register(lookup: Callable[[str], int]) -> None:
    """Make ``lookup(code) -> exponent`` the source of minor units (once; later calls replace it)."""
    _lookup[:] = [lookup]


def exponent(code: str) -> int:
    """Return the number of decimals of the currency's minor unit (JPY 0, USD 2, KWD 3).

    Raise ``KeyError`` for a currency the table does not have.
    """
    if not _lookup:
        raise RuntimeError("No currency table registered (payments registers it when ready).")
    return _lookup[0](code)
