"""Paying with a saved payment method, without ``payments`` knowing who saves them.

An app that keeps saved methods (``billing``) registers a resolver for its id prefix in its
``AppConfig.ready``; ``payment_create_saved`` asks it to turn ``pm_...`` into the vault row and
card details of the existing card path. An id no resolver knows is reported like a missing one.

The same app registers a ``CustomerDirectory`` for its customer ids (``cus_...``): an order may
name a customer, and the hosted checkout then lists the customer's saved cards and saves the card
paid with when the shopper agrees (``customer_card_save``), all without importing that app.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

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
    #: Saved, but waiting for the holder's verification (OTP): it cannot be charged yet.
    requires_action: bool = False


#: ``(*, merchant, livemode, method_id) -> SavedCard | None``: None for an id it does not know
#: (another merchant's, the other mode's, detached).
Resolver = Callable[..., SavedCard | None]

#: ``(*, merchant, livemode, method_ids) -> dict[str, SavedCard]``: the ids it knows, at once.
ManyResolver = Callable[..., dict[str, SavedCard]]

_RESOLVERS: dict[str, Resolver] = {}
_MANY_RESOLVERS: dict[str, ManyResolver] = {}


def saved_method_resolver_register(
    *, prefix: str, resolver: Resolver, many: ManyResolver | None = None
) -> None:
    """Make ``resolver`` answer for ids ``<prefix>_...`` (and ``many`` for several at once, in
    one query); registering again replaces them."""
    _RESOLVERS[prefix] = resolver
    if many is not None:
        _MANY_RESOLVERS[prefix] = many


def saved_methods_resolve_many(
    *, merchant: Merchant, livemode: bool, method_ids: list[str]
) -> dict[str, SavedCard]:
    """Return the saved cards behind ``method_ids`` of the merchant and mode (unknown ids are
    left out): one query per id prefix with a many-resolver, else one per id."""
    found: dict[str, SavedCard] = {}
    by_prefix: dict[str, list[str]] = {}
    for method_id in dict.fromkeys(method_ids):
        prefix, sep, _ = method_id.partition("_")
        if sep and prefix in _RESOLVERS:
            by_prefix.setdefault(prefix, []).append(method_id)
    for prefix, ids in by_prefix.items():
        many = _MANY_RESOLVERS.get(prefix)
        if many is not None:
            found.update(many(merchant=merchant, livemode=livemode, method_ids=ids))
            continue
        for method_id in ids:
            saved = _RESOLVERS[prefix](merchant=merchant, livemode=livemode, method_id=method_id)
            if saved is not None:
                found[method_id] = saved
    return found


def saved_method_resolve(*, merchant: Merchant, livemode: bool, method_id: str) -> SavedCard | None:
    """Return the saved card behind ``method_id`` for the merchant and mode, or None."""
    prefix, sep, _ = method_id.partition("_")
    resolver = _RESOLVERS.get(prefix) if sep else None
    if resolver is None:
        return None
    return resolver(merchant=merchant, livemode=livemode, method_id=method_id)


@dataclass(frozen=True)
class SaveConsent:
    """What the holder agreed to when saving a card: the words shown, when, from where, the use."""

    text: str
    ip: str
    usage: str  # "on_session" | "off_session"
    consented_at: datetime


@dataclass(frozen=True)
class CustomerDirectory:
    """The callables an app keeping customers registers for its id prefix.

    - ``exists(*, merchant, livemode, customer_id) -> bool``: a customer of that merchant and mode.
    - ``saved_cards(*, merchant, livemode, customer_id) -> list[SavedCard]``: the cards it may pay
      with now (verified, not expired), newest first.
    - ``card_save(*, merchant, livemode, customer_id, card, holder_name, consent) -> str``: save
      the vault ``card`` for the customer with ``consent``; return the method id (the existing
      one when the customer saved this card before). Raise ``NotFound`` for a customer gone.
    """

    exists: Callable[..., bool]
    saved_cards: Callable[..., list[SavedCard]]
    card_save: Callable[..., str]


_DIRECTORIES: dict[str, CustomerDirectory] = {}


def customer_directory_register(*, prefix: str, directory: CustomerDirectory) -> None:
    """Make ``directory`` answer for customer ids ``<prefix>_...``; registering again replaces it."""
    _DIRECTORIES[prefix] = directory


def _directory(customer_id: str) -> CustomerDirectory | None:
    prefix, sep, _ = customer_id.partition("_")
    return _DIRECTORIES.get(prefix) if sep else None


def customer_exists(*, merchant: Merchant, livemode: bool, customer_id: str) -> bool:
    """Return whether ``customer_id`` is a customer of the merchant in the mode."""
    directory = _directory(customer_id)
    return directory is not None and directory.exists(
        merchant=merchant, livemode=livemode, customer_id=customer_id
    )


def customer_saved_cards(
    *, merchant: Merchant, livemode: bool, customer_id: str
) -> list[SavedCard]:
    """Return the customer's cards that can pay now (none for an unknown customer)."""
    directory = _directory(customer_id)
    if directory is None:
        return []
    return directory.saved_cards(merchant=merchant, livemode=livemode, customer_id=customer_id)


def customer_card_save(
    *,
    merchant: Merchant,
    livemode: bool,
    customer_id: str,
    card: CardVault,
    holder_name: str,
    consent: SaveConsent,
) -> str:
    """Save ``card`` for the customer with ``consent``; return the saved method's id."""
    directory = _directory(customer_id)
    if directory is None:
        raise LookupError(f"no customer directory answers for {customer_id!r}")
    return directory.card_save(
        merchant=merchant,
        livemode=livemode,
        customer_id=customer_id,
        card=card,
        holder_name=holder_name,
        consent=consent,
    )
