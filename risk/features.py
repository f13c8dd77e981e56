"""The features of a payment about to be routed: what rules read and the model scores.

Built from the payment, its order, the validated card (its first digits only: the number itself
is never kept), the shopper of the request (``risk.context``) and the velocity counts.
"""

from __future__ import annotations

from .context import Shopper
from .geo import DISPOSABLE_EMAIL_DOMAINS, card_country, email_domain
from .velocity import ZERO, Counts, key_for


def base_features(*, payment, order, card, shopper: Shopper) -> dict:
    """Return the features known without counting (no velocity yet)."""
    email = (order.customer_email or "").strip().lower()
    domain = email_domain(email)
    prefix = card.number[:10] if card is not None else ""
    fingerprint = payment.card.fingerprint if payment.card_id is not None else ""
    return {
        "amount": payment.amount,
        "currency": payment.currency,
        "method": payment.method_type,
        "livemode": payment.livemode,
        "card_brand": payment.card_brand,
        "card_bin": prefix[:6],
        "card_last4": payment.card_last4,
        "card_country": card_country(prefix),
        "card_fingerprint": fingerprint,
        "ip": shopper.ip,
        "ip_country": shopper.country,
        "email": email,
        "email_domain": domain,
        "email_disposable": domain in DISPOSABLE_EMAIL_DOMAINS,
        "order": order.public_id,
    }


def velocity_keys(features: dict) -> dict[str, str]:
    """Return the counter key of each dimension the payment has a value for."""
    values = {
        "card": features.get("card_fingerprint", ""),
        "ip": features.get("ip", ""),
        "email": features.get("email", ""),
        "bin": features.get("card_bin", ""),
        "order": features.get("order", ""),
    }
    return {dim: key_for(dim, value) for dim, value in values.items() if value}


def velocity_features(keys: dict[str, str], counts: dict[str, Counts]) -> dict:
    """Return the velocity features from the counts of each dimension's key."""

    def of(dim: str) -> Counts:
        key = keys.get(dim)
        return counts.get(key, ZERO) if key else ZERO

    card, ip, email, bin_, order = of("card"), of("ip"), of("email"), of("bin"), of("order")
    return {
        "card_attempts_1h": card.attempts["1h"],
        "card_declines_1h": card.declines["1h"],
        "card_attempts_1d": card.attempts["1d"],
        "ip_attempts_1h": ip.attempts["1h"],
        "ip_declines_1h": ip.declines["1h"],
        "ip_attempts_1d": ip.attempts["1d"],
        "ip_distinct_cards_1h": ip.distinct_cards["1h"],
        "ip_distinct_cards_1d": ip.distinct_cards["1d"],
        "email_attempts_1d": email.attempts["1d"],
        "email_distinct_cards_1d": email.distinct_cards["1d"],
        "bin_attempts_1h": bin_.attempts["1h"],
        "order_declines_1h": order.declines["1h"],
        # The card-testing guard's window.
        "ip_declines_10m": ip.declines["10m"],
        "ip_distinct_cards_10m": ip.distinct_cards["10m"],
        "order_declines_10m": order.declines["10m"],
        "order_distinct_cards_10m": order.distinct_cards["10m"],
    }
