"""Sandbox institutions: a small card issuer, an e-wallet and a bank-transfer bank.

They are not mocks. Each keeps its own books in this app's tables: accounts (cards by
fingerprint and last four, wallets by phone number) with a status, a verification policy and
funds per currency (created on first use as ``funds_major * 10**exponent``); holds placed by
``authorize``, turned into debits by ``capture``, released by ``void`` and credited back by
``refund``; virtual bank accounts waiting for a transfer. Declines therefore follow from the
account's status and its available funds::

    available = opening funds − active holds − captured debits + refunds credited

Every authorize call is recorded under the caller's ``reference`` so that repeating it never
holds twice and ``lookup`` can answer a caller whose call timed out. A CHALLENGE answer is the
one exception: repeated with ``authenticated=True`` under the same reference, the call is decided
again (the holder has since passed the OTP).

Each owner (an opaque key the caller passes: ``payments`` passes the merchant's public id) has
its own set of the published accounts, opened on its first authorization, so one merchant's
test payments never spend another's balances; ``sandbox_reset`` brings an owner's accounts back
to their published funds. Callers that name no owner share one sandbox (the key "").

Money-moving functions lock the account row (then the hold) with ``select_for_update`` inside
``transaction.atomic``, so concurrent authorizations cannot overspend. The connectors in
``institutions.sandbox`` are the only callers outside this app's tests; ``payments`` reaches them
through ``institutions.connector.get_connector``.
"""

from .accounts import (
    SHARED_OWNER,
    SandboxReset,
    balance_get_or_create,
    sandbox_accounts_seed,
    sandbox_owner_open,
    sandbox_reset,
)
from .authentication import card_authentication_required
from .authorize import (
    BANK_NAME,
    authorization_card,
    authorization_result,
    authorization_transfer,
    authorization_wallet,
)
from .authorize_many import authorizations_card_many
from .common import DECLINE_MESSAGES
from .holds import hold_capture, hold_refund, hold_void
from .transfers import transfer_capture, transfer_receive, transfer_refund, transfer_void

__all__ = [
    "BANK_NAME",
    "DECLINE_MESSAGES",
    "SHARED_OWNER",
    "SandboxReset",
    "authorization_card",
    "authorizations_card_many",
    "authorization_result",
    "authorization_transfer",
    "authorization_wallet",
    "balance_get_or_create",
    "card_authentication_required",
    "hold_capture",
    "hold_refund",
    "hold_void",
    "sandbox_accounts_seed",
    "sandbox_owner_open",
    "sandbox_reset",
    "transfer_capture",
    "transfer_receive",
    "transfer_refund",
    "transfer_void",
]
