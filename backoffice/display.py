"""Amounts as the staff member's language writes them, for the admin pages of every app.

Amounts are integers in the currency's minor unit. Their decimals come from Babel's CLDR data,
the table ``payments.money`` is checked against, so that apps importing nothing of the product's
(the ledger, the sandbox institutions) show money exactly as payments and settlement do.
"""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel.numbers import format_currency, get_currency_precision
from django.utils.translation import get_language, to_locale


@lru_cache(maxsize=64)
def _babel_locale(language: str) -> str:
    name = to_locale(language)
    try:
        Locale.parse(name)
    except (UnknownLocaleError, ValueError):
        return "en_US"
    return name


def active_locale() -> str:
    """Return the Babel locale of the active Django language ("de" → "de", "en-us" → "en_US").

    Pages format amounts with it, so they follow the visitor's language (LocaleMiddleware
    activates it from Accept-Language); a language Babel has no data for falls back to en_US.
    """
    return _babel_locale(get_language() or "en-us")


def money_text(amount: int | None, currency: str | None, locale: str | None = None) -> str:
    """Return ``amount`` minor units of ``currency`` as ``locale`` (default: the active
    language) writes them: 1000 USD is "$10.00"; "" when either is missing."""
    if amount is None or not currency:
        return ""
    major = Decimal(amount).scaleb(-get_currency_precision(currency))
    return format_currency(major, currency, locale=locale or active_locale())


def money_display(field: str, description: str, currency_field: str = "currency"):
    """Return an admin column of the minor-units ``field``, written in the object's currency.

    Use it as a ModelAdmin attribute: ``amount_display = money_display("amount", "amount")``.
    """

    def display(model_admin, obj) -> str:
        return money_text(getattr(obj, field), getattr(obj, currency_field))

    # What ``admin.display(description=..., ordering=...)`` sets.
    display.__name__ = f"{field}_display"
    display.short_description = description
    display.admin_order_field = field
    return display
