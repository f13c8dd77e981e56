"""Routing: which institution receives a payment, by method and, for cards, by BIN range.

Test mode goes to the sandbox institutions. Live mode goes only to an institution configured in
``PAYMENTS_LIVE_ROUTES`` whose connector moves real money (``Connector.live``); with none, a live
payment is refused (``NoLiveInstitution``) before anything is written or sent.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from institutions.connector import Connector, get_connector

from .errors import NoLiveInstitution


@dataclass(frozen=True)
class Route:
    institution: str
    reason: str


# Card routes by brand (from the validated BIN); first match wins.
CARD_ROUTES: dict[str, str] = {
    "visa": "sandbox_issuer_visa",
    "mastercard": "sandbox_issuer_mc",
    "amex": "sandbox_issuer_amex",
    "discover": "sandbox_issuer_other",
    "jcb": "sandbox_issuer_other",
    "unionpay": "sandbox_issuer_other",
    "diners": "sandbox_issuer_other",
}
METHOD_ROUTES: dict[str, str] = {
    "wallet": "sandbox_wallet",
    "bank_transfer": "sandbox_transfer",
}


def route_payment(
    *, method_type: str, card_brand: str | None = None, livemode: bool = False
) -> Route:
    """Return the institution for a payment method (the BIN decides the card brand).

    Raise ``NoLiveInstitution`` for a live payment no live institution is configured for.
    """
    if livemode:
        return _live_route(method_type=method_type, card_brand=card_brand)
    if method_type == "card":
        institution = CARD_ROUTES.get(card_brand or "", "sandbox_issuer_other")
        return Route(institution=institution, reason=f"card brand {card_brand or 'unknown'}")
    return Route(institution=METHOD_ROUTES[method_type], reason=f"method {method_type}")


def _live_route(*, method_type: str, card_brand: str | None) -> Route:
    """``PAYMENTS_LIVE_ROUTES`` maps ``"card:<brand>"``, ``"card"``, ``"wallet"`` and
    ``"bank_transfer"`` to institution codes; the most specific key wins."""
    routes = getattr(settings, "PAYMENTS_LIVE_ROUTES", None) or {}
    keys = [f"card:{card_brand}", "card"] if method_type == "card" else [method_type]
    institution = next((routes[key] for key in keys if routes.get(key)), "")
    if not institution or not _takes_live_payments(institution):
        raise NoLiveInstitution(method_type)
    return Route(institution=institution, reason=f"live {method_type}")


def _takes_live_payments(institution: str) -> bool:
    try:
        connector = get_connector(institution)
    except LookupError:
        return False
    return connector.live


def connector_for(institution: str) -> Connector:
    return get_connector(institution)
