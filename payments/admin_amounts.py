"""Readable amounts beside the raw API JSON of events and webhook payloads in the back office.

The JSON stays as webhooks send it (integer minor units); the summary writes each amount of the
object in major units with its currency, as the staff member's language does.
"""

from __future__ import annotations

import json

from django.utils.html import format_html, format_html_join

from .money import CURRENCIES, active_locale, format_amount

SEPARATOR = " · "

# Keys of the API representations that hold minor units, in the order a reader wants them.
_LABELS = {
    "amount": "Amount",
    "amount_authorized": "Authorized",
    "amount_captured": "Captured",
    "amount_refunded": "Refunded",
    "gross_amount": "Gross",
    "refunds_amount": "Refunds",
    "fees_amount": "Fees",
    "net_amount": "Net",
    "carry_in": "Carry in",
    "payout_amount": "Payout",
    "carry_out": "Carry out",
}


def _is_minor_units(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def amount_parts(obj: dict, locale: str | None = None) -> list[tuple[str, str]]:
    """Return ``[(label, formatted)]`` for the amounts of one API object with a ``currency``."""
    currency = obj.get("currency") if isinstance(obj, dict) else None
    if currency not in CURRENCIES:
        return []
    locale = locale or active_locale()
    parts = [
        (label, format_amount(obj[key], currency, locale))
        for key, label in _LABELS.items()
        if _is_minor_units(obj.get(key))
    ]
    fixed = (obj.get("fee_schedule") or {}).get("fixed")
    if _is_minor_units(fixed):
        parts.append(("Fixed fee", format_amount(fixed, currency, locale)))
    return parts


def amount_lines(obj: dict, locale: str | None = None) -> list[tuple[str, str]]:
    """Return ``[(heading, "Amount: €1,234.50 · Refunded: €0.00")]``: the object, then the
    payments it holds (an order's); the heading is "" for the object itself."""
    if not isinstance(obj, dict):
        return []
    locale = locale or active_locale()
    lines = []
    own = amount_parts(obj, locale)
    if own:
        lines.append(("", SEPARATOR.join(f"{label}: {text}" for label, text in own)))
    for nested in obj.get("payments") or []:
        parts = amount_parts(nested, locale)
        if parts:
            heading = f"{nested.get('object', 'payment').capitalize()} {nested.get('id', '')}"
            lines.append((heading.strip(), SEPARATOR.join(f"{lb}: {tx}" for lb, tx in parts)))
    return lines


def amounts_html(obj: dict):
    """The summary as HTML for an admin read-only field ("" when the object has no amounts)."""
    lines = amount_lines(obj)
    if not lines:
        return "—"
    return format_html(
        '<div class="amounts-summary">{}</div>',
        format_html_join(
            "",
            '<p class="amounts-line">{}<span class="amounts">{}</span></p>',
            ((format_html("<strong>{}</strong>: ", h) if h else "", text) for h, text in lines),
        ),
    )


def json_html(value):
    """Raw JSON, indented, in a ``<pre>`` (escaped)."""
    text = json.dumps(value, indent=2, ensure_ascii=False, sort_keys=False)
    return format_html('<pre class="raw-json">{}</pre>', text)
