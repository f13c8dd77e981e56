"""Public ids and the checks every money table shares."""

import secrets
import string

from django.db.models import Q

_ALPHABET = string.ascii_letters + string.digits


def new_public_id(prefix: str) -> str:
    """Return an unguessable id such as ``pay_3kT9...`` (24 base62 characters, ~143 bits)."""
    # One read of 192 random bits, written in base 62 (2^192 / 62^24 ≈ 2^49: no bias worth a
    # bit): a batch of renewals makes tens of thousands of ids, and 24 ``secrets.choice``
    # calls each were a tenth of its time.
    n = int.from_bytes(secrets.token_bytes(24))
    chars = []
    for _ in range(24):
        n, digit = divmod(n, 62)
        chars.append(_ALPHABET[digit])
    return prefix + "_" + "".join(chars)


def new_merchant_id() -> str:
    return new_public_id("mer")


def new_config_version() -> str:
    return secrets.token_hex(8)


def new_key_id() -> str:
    return new_public_id("key")


def new_order_id() -> str:
    return new_public_id("ord")


def new_payment_id() -> str:
    return new_public_id("pay")


def new_attempt_id() -> str:
    return new_public_id("att")


def new_refund_id() -> str:
    return new_public_id("re")


def new_event_id() -> str:
    return new_public_id("evt")


def new_vault_token() -> str:
    return new_public_id("vlt")


def new_checkout_token() -> str:
    return secrets.token_urlsafe(32)


CURRENCY_CHECK = Q(currency__regex=r"^[A-Z]{3}$")
