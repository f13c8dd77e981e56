"""Shoppers' passkeys for saved cards, without ``payments`` knowing where they are kept.

A passkey is bound to a customer and one of its saved cards; ``billing`` (which owns both)
keeps them and registers a ``PasskeyStore`` in ``BillingConfig.ready``. The checkout asks it
whether the payment's card has passkeys (then the institution's challenge is answered with one
first, the OTP code only sent when the shopper asks for it), to check an assertion's credential
and to register a new passkey after an OTP verification. With no store, no passkey is offered.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from .models import Payment


@dataclass(frozen=True)
class StoredPasskey:
    credential_id: str  # base64url
    public_key: bytes  # COSE
    sign_count: int


class PasskeyStore(Protocol):
    def for_payment(self, *, payment: Payment) -> list[StoredPasskey]:
        """The passkeys of the order's customer for the payment's card."""

    def register(self, *, payment: Payment, credential_id: str, public_key: bytes, sign_count: int):
        """Keep a passkey for the order's customer and the payment's saved card."""

    def counter_update(self, *, credential_id: str, sign_count: int) -> None:
        """Record the counter of a passkey just used (and when)."""

    def card_saved(self, *, payment: Payment) -> bool:
        """Whether the payment's card is a saved card of the order's customer."""


_STORES: list[PasskeyStore] = []


def passkey_store_register(*, store: PasskeyStore) -> None:
    if store not in _STORES:
        _STORES.append(store)


def passkey_store() -> PasskeyStore | None:
    return _STORES[0] if _STORES else None


def passkeys_for(payment: Payment) -> list[StoredPasskey]:
    """The passkeys that may verify the holder of ``payment`` (none without a customer)."""
    store = passkey_store()
    if store is None or not payment.order.customer or payment.card_id is None:
        return []
    return store.for_payment(payment=payment)
