"""Routing: which institution receives a payment, by method and, for cards, by BIN range."""

from __future__ import annotations

from dataclasses import dataclass

from institutions.connector import Connector, get_connector


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


def route_payment(*, method_type: str, card_brand: str | None = None) -> Route:
    """Return the institution for a payment method (the BIN decides the card brand)."""
    if method_type == "card":
        institution = CARD_ROUTES.get(card_brand or "", "sandbox_issuer_other")
        return Route(institution=institution, reason=f"card brand {card_brand or 'unknown'}")
    return Route(institution=METHOD_ROUTES[method_type], reason=f"method {method_type}")


def connector_for(institution: str) -> Connector:
    return get_connector(institution)
