"""Reads of the request log."""

from __future__ import annotations

from django.db.models import QuerySet

from payments.errors import NotFound
from payments.models import Merchant

from .models import RequestLog, SigningKey


def request_log_list(*, merchant: Merchant, livemode: bool) -> QuerySet[RequestLog]:
    """Return the merchant's logged API requests in the mode, newest first."""
    return RequestLog.objects.filter(merchant=merchant, livemode=livemode).order_by(
        "-created", "-id"
    )


def signing_key_list(*, merchant: Merchant, livemode: bool) -> QuerySet[SigningKey]:
    """Return the merchant's signing keys in the mode (revoked ones too), newest first."""
    return SigningKey.objects.filter(merchant=merchant, livemode=livemode).order_by(
        "-created", "-id"
    )


def signing_key_get(*, merchant: Merchant, livemode: bool, key_id: str) -> SigningKey:
    """Return the merchant's signing key in the mode; raise ``NotFound`` for any other."""
    key = SigningKey.objects.filter(merchant=merchant, livemode=livemode, public_id=key_id).first()
    if key is None:
        raise NotFound("No such signing key.")
    return key
