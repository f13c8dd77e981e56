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
from django.utils.html import format_html
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


#: The tone of a status's badge: done well, waiting, gone wrong, informative; others neutral.
STATUS_TONES = {
    "success": {"paid", "captured", "succeeded", "active", "won", "approved", "settled", "closed"},
    "warning": {
        "pending",
        "processing",
        "requires_action",
        "requires_payment_method",
        "retrying",
        "open",
        "needs_response",
        "under_review",
        "past_due",
        "warning_needs_response",
        "warning_under_review",
    },
    "danger": {"failed", "declined", "lost", "uncollectible", "unpaid", "returned", "blocked"},
    "info": {"authorized", "partially_refunded", "trialing", "paused"},
}


def badge(text: str, tone: str) -> str:
    """Return ``text`` as a coloured badge (``.badge-<tone>`` in static/admin_extra/admin.css)."""
    return format_html('<span class="badge badge-{}">{}</span>', tone, text)


def status_badge(value: str, label: str | None = None) -> str:
    """Return a status as a badge coloured by ``STATUS_TONES`` (its label, else its value)."""
    tone = next((t for t, values in STATUS_TONES.items() if value in values), "neutral")
    return badge(label or value.replace("_", " "), tone)


def status_display(field: str = "status", description: str = "status"):
    """Return an admin column of ``field`` as a coloured badge, sortable by the field.

    Use it as a ModelAdmin attribute: ``status_badge = status_display()``.
    """

    def display(model_admin, obj) -> str:
        value = getattr(obj, field)
        label = getattr(obj, f"get_{field}_display", lambda: None)()
        return status_badge(value, str(label) if label else None)

    display.__name__ = f"{field}_badge"
    display.short_description = description
    display.admin_order_field = field
    return display


def mode_display(field: str = "livemode"):
    """Return an admin column "mode": a Live or a Test badge, so the two are never mixed
    silently in one list."""

    def display(model_admin, obj) -> str:
        return badge("Live", "live") if getattr(obj, field) else badge("Test", "test")

    display.__name__ = "mode"
    display.short_description = "mode"
    display.admin_order_field = field
    return display


def when_text(value) -> str:
    """Return a moment in the active time zone with the zone named ("7 Dec 2026, 15:10 UTC");
    "" for None. Staff in several zones read the same page: a time without its zone misleads."""
    if not value:
        return ""
    from django.utils import timezone
    from django.utils.formats import date_format

    return date_format(timezone.localtime(value), "j M Y, H:i T")


def when_display(field: str, description: str):
    """Return an admin field of the moment ``field``, written with its time zone's name."""

    def display(model_admin, obj) -> str:
        return when_text(getattr(obj, field)) or "-"

    display.__name__ = f"{field}_when"
    display.short_description = description
    display.admin_order_field = field
    return display
