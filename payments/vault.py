"""The card vault: PANs encrypted with AES-GCM, keys from FIELD_ENCRYPTION_KEYS.

The key id is stored beside each ciphertext so keys can rotate: the first configured key
encrypts, every configured key can still decrypt.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

from .models import CardVault


def _keys() -> list[tuple[str, bytes]]:
    keys = []
    for item in settings.FIELD_ENCRYPTION_KEYS.split(","):
        kid, _, b64 = item.strip().partition(":")
        raw = base64.urlsafe_b64decode(b64 + "=" * (-len(b64) % 4))
        if len(raw) not in (16, 24, 32):
            raise ValueError(f"encryption key {kid!r} must be 16, 24 or 32 bytes")
        keys.append((kid, raw))
    if not keys:
        raise ValueError("FIELD_ENCRYPTION_KEYS is empty")
    return keys


def fingerprint(pan: str) -> str:
    """Return a keyed hash of the PAN, for recognising the same card without decrypting."""
    kid, key = _keys()[0]
    return hmac.new(key, b"fingerprint:" + pan.encode(), hashlib.sha256).hexdigest()


def card_store(*, pan: str, brand: str, exp_month: int, exp_year: int) -> CardVault:
    kid, key = _keys()[0]
    nonce = os.urandom(12)
    token_row = CardVault(key_id=kid, brand=brand, exp_month=exp_month, exp_year=exp_year)
    # The token is bound into the ciphertext so rows cannot be swapped.
    ciphertext = AESGCM(key).encrypt(nonce, pan.encode(), token_row.token.encode())
    token_row.nonce, token_row.ciphertext = nonce, ciphertext
    token_row.fingerprint = fingerprint(pan)
    token_row.first6, token_row.last4 = pan[:6], pan[-4:]
    token_row.save()
    return token_row


def card_reveal(*, card: CardVault) -> str:
    """Return the PAN; only for sending it to the institution, never for display or logs."""
    keys = dict(_keys())
    try:
        key = keys[card.key_id]
    except KeyError:
        raise LookupError(f"encryption key {card.key_id!r} is no longer configured") from None
    return (
        AESGCM(key).decrypt(bytes(card.nonce), bytes(card.ciphertext), card.token.encode()).decode()
    )


def secret_encrypt(plaintext: str, *, context: str) -> str:
    """Return ``kid$base64(nonce|ciphertext)`` of a secret that must be read back (webhook keys).

    ``context`` (e.g. the owning row's public id) is bound into the ciphertext, so an encrypted
    value copied to another row does not decrypt there.
    """
    kid, key = _keys()[0]
    nonce = os.urandom(12)
    ciphertext = AESGCM(key).encrypt(nonce, plaintext.encode(), context.encode())
    return kid + "$" + base64.b64encode(nonce + ciphertext).decode()


def secret_decrypt(token: str, *, context: str) -> str:
    """Return the plaintext of ``secret_encrypt``'s output; only for signing, never for display."""
    kid, _, b64 = token.partition("$")
    key = dict(_keys()).get(kid)
    if key is None:
        raise LookupError(f"encryption key {kid!r} is no longer configured")
    raw = base64.b64decode(b64)
    return AESGCM(key).decrypt(raw[:12], raw[12:], context.encode()).decode()
