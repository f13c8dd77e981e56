"""Dynamic currency conversion on the checkout: the offer to pay in the card's currency.

The offer (a locked ``fx`` quote) is shown once the card's BIN is known: the page's script asks
``dcc_offer_view`` with the first six digits as the shopper types; without scripts, the first
submission of a card that could pay in its own currency shows the offer instead of paying, and
the shopper chooses and pays again. Paying in the order's currency is always the default.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from django.http import HttpRequest, JsonResponse
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_fsm import can_proceed

from fx.arithmetic import rate_text
from fx.dcc import dcc_rate_with_markup
from fx.models import Quote
from payments.models import Order

from ..services.dcc import dcc_offer_for
from ..validation import normalize_pan
from .selectors import order_for_checkout

_BIN = re.compile(r"[0-9]{6}")
# Shown beside the offer; the rate the shopper pays is rounded for reading only.
_SHOWN_RATE = Decimal("0.000001")
EXPIRED_NOTE = "Here is a new offer at today's rate: choose the currency again, then pay."
CHOOSE_NOTE = (
    "Your card can pay in its own currency: choose the currency to pay in, enter the security "
    "code again, and pay."
)


@dataclass(frozen=True)
class DccOfferView:
    """An offer as the template shows it."""

    quote: Quote
    rate: str
    reference_rate: str
    markup_percent: str
    selected: bool


def card_bin(number: str) -> str:
    """Return the first six digits of what was typed as a card number, or ""."""
    first6 = normalize_pan(number or "")[:6]
    return first6 if _BIN.fullmatch(first6) else ""


def offer_for(order: Order, *, number: str, chosen: str = "") -> DccOfferView | None:
    """Return the DCC offer for paying ``order`` with the card typed as ``number`` (selected
    when ``chosen`` is its id), or None when there is none."""
    bin_digits = card_bin(number)
    quote = dcc_offer_for(order=order, card_bin=bin_digits) if bin_digits else None
    if quote is None:
        return None
    shown = dcc_rate_with_markup(quote).quantize(_SHOWN_RATE)
    return DccOfferView(
        quote=quote,
        rate=rate_text(shown),
        reference_rate=rate_text(quote.rate),
        markup_percent=f"{Decimal(quote.markup_bps) / 100:.2f}%",
        selected=bool(chosen) and chosen == quote.public_id,
    )


def _payable(order: Order | None) -> bool:
    if order is None or order.active_payment_id or not can_proceed(order.pay):
        return False
    return order.expires_at > timezone.now()


@never_cache
@require_POST
def dcc_offer_view(request: HttpRequest, token: str) -> JsonResponse:
    """The offer for a card BIN (``bin``: six digits, never the whole number), as the page's
    fragment: ``{"html": ""}`` when there is none to make."""
    order = order_for_checkout(token)
    if not _payable(order):
        return JsonResponse({"html": ""})
    offer = offer_for(order, number=request.POST.get("bin", "")[:6])
    if offer is None:
        return JsonResponse({"html": ""})
    html = render_to_string("checkout/_dcc.html", {"order": order, "dcc": offer}, request=request)
    return JsonResponse({"html": html, "offer": offer.quote.public_id})
