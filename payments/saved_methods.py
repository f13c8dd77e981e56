"""Paying with a saved payment method, without ``payments`` knowing who saves them.

An app that keeps saved methods (``billing``) registers a resolver for its id prefix in its
``AppConfig.ready``; ``payment_create_saved`` asks it to turn ``pm_...`` into the vault row and
card details of the existing card path. An id no resolver knows is reported like a missing one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .models import CardVault, Merchant


@dataclass(frozen=True)
class SavedCard:
    """What a resolver answers: the card in the vault and the consent given when it was saved."""

    method_id: str
    card: CardVault
    brand: str
    last4: str
    exp_month: int
    exp_year: int
    holder_name: str
    #: The holder agreed to charges made without them (merchant-initiated, e.g. renewals).
    off_session: bool


#: ``(*, merchant, livemode, method_id) -> SavedCard | None``: None for an id it does not know
#: (another merchant's, the other mode's, detached).
Resolver = Callable[..., SavedCard | None]

_RESOLVERS: dict[str, Resolver] = {}


def saved_method_resolver_register(*, prefix: str, resolver: Resolver) -> None:
    """Make ``resolver`` answer for ids ``<prefix>_...``; registering again replaces it."""
    _RESOLVERS[prefix] = resolver


def saved_method_resolve(*, merchant: Merchant, livemode: bool, method_id: str) -> SavedCard | None:
    """Return the saved card behind ``method_id`` for the merchant and mode, or None."""
    prefix, sep, _ = method_id.partition("_")
    resolver = _RESOLVERS.get(prefix) if sep else None
    if resolver is None:
        return None
    return resolver(merchant=merchant, livemode=livemode, method_id=method_id)
