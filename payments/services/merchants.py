"""Merchants, their staff memberships and API keys."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from backoffice.access import staff_groups_ensure

from ..errors import AuthenticationFailed, ValidationFailed
from ..models import ApiKey, Merchant, MerchantFixedFee, MerchantMembership
from ..money import CURRENCIES
from ..validation import FieldError


def _hash_key(raw: str) -> str:
    # API keys carry ~190 random bits, so a fast hash is enough: nothing to brute-force.
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def merchant_create(
    *,
    name: str,
    country: str = "US",
    default_currency: str = "USD",
    settlement_delay_days: int = 2,
    fee_bps: int | None = None,
    is_demo: bool = False,
    settlement_currency: str = "",
    accepted_currencies: list[str] | None = None,
    fx_markup_bps: int = 0,
    cross_border_fee_bps: int = 0,
    fx_refuse_expired_quotes: bool = True,
) -> Merchant:
    """Create a merchant; ``settlement_currency`` and the rest: its FX terms (``fx``)."""
    accepted_currencies = list(accepted_currencies or [])
    errors = []
    for field, codes in (
        ("settlement_currency", [settlement_currency] if settlement_currency else []),
        ("accepted_currencies", accepted_currencies),
    ):
        if any(code not in CURRENCIES for code in codes):
            errors.append(FieldError(field, "unsupported_currency", "Unsupported currency."))
    for field, bps in (
        ("fx_markup_bps", fx_markup_bps),
        ("cross_border_fee_bps", cross_border_fee_bps),
    ):
        if not 0 <= bps <= 2000:
            errors.append(FieldError(field, "invalid", "Basis points from 0 to 2000 (20%)."))
    if not name.strip():
        errors.append(FieldError("name", "required", "A merchant needs a name."))
    if default_currency not in CURRENCIES:
        errors.append(
            FieldError("default_currency", "unsupported_currency", "Unsupported currency.")
        )
    if not 1 <= settlement_delay_days <= 3:
        errors.append(
            FieldError(
                "settlement_delay_days", "invalid", "Settlement delay is 1 to 3 business days."
            )
        )
    if errors:
        raise ValidationFailed(errors)
    return Merchant.objects.create(
        name=name.strip(),
        country=country.upper(),
        default_currency=default_currency,
        settlement_delay_days=settlement_delay_days,
        fee_bps=settings.PAYMENTS_DEFAULT_FEE_BPS if fee_bps is None else fee_bps,
        is_demo=is_demo,
        settlement_currency=settlement_currency,
        accepted_currencies=accepted_currencies,
        fx_markup_bps=fx_markup_bps,
        cross_border_fee_bps=cross_border_fee_bps,
        fx_refuse_expired_quotes=fx_refuse_expired_quotes,
    )


def merchant_fixed_fee_set(
    *, merchant: Merchant, currency: str, amount: int | None
) -> MerchantFixedFee | None:
    """Set the merchant's own fixed fee per payment in ``currency`` (minor units of it), or with
    ``amount=None`` remove it so the currency's default applies; return the row (None if removed).

    Batches already closed keep the fee they were closed with.
    """
    errors = []
    if currency not in CURRENCIES:
        errors.append(FieldError("currency", "unsupported_currency", "Unsupported currency."))
    if amount is not None and (
        not isinstance(amount, int) or isinstance(amount, bool) or amount < 0
    ):
        errors.append(
            FieldError("amount", "invalid", "A fixed fee is a whole number of minor units, ≥ 0.")
        )
    if errors:
        raise ValidationFailed(errors)
    if amount is None:
        MerchantFixedFee.objects.filter(merchant=merchant, currency=currency).delete()
        return None
    fee, _ = MerchantFixedFee.objects.update_or_create(
        merchant=merchant, currency=currency, defaults={"amount": amount}
    )
    return fee


@transaction.atomic
def staff_membership_grant(*, user, merchant: Merchant, role: str = "viewer") -> MerchantMembership:
    """Make ``user`` staff of ``merchant`` as ``role``: membership, admin access, staff group."""
    membership, _ = MerchantMembership.objects.update_or_create(
        user=user, merchant=merchant, defaults={"role": role}
    )
    if not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    user.groups.add(staff_groups_ensure())
    return membership


def api_key_create(
    *, merchant: Merchant, livemode: bool = False, name: str = ""
) -> tuple[ApiKey, str]:
    """Create a key and return it with the raw secret, which is shown once and never stored."""
    raw = ("sk_live_" if livemode else "sk_test_") + secrets.token_urlsafe(32)
    key = ApiKey.objects.create(
        merchant=merchant,
        livemode=livemode,
        name=name,
        prefix=raw[:14],
        key_hash=_hash_key(raw),
    )
    return key, raw


def api_key_authenticate(*, raw_key: str) -> ApiKey:
    if not raw_key.startswith(("sk_test_", "sk_live_")):
        raise AuthenticationFailed("The API key is malformed.")
    key = (
        ApiKey.objects.select_related("merchant")
        .filter(key_hash=_hash_key(raw_key), revoked_at__isnull=True)
        .first()
    )
    if key is None:
        raise AuthenticationFailed("The API key is invalid or has been revoked.")
    if key.livemode and not key.merchant.live_enabled:
        raise AuthenticationFailed("Live mode is not enabled for this merchant yet.")
    now = timezone.now()
    if key.last_used_at is None or (now - key.last_used_at).total_seconds() > 60:
        # Throttled write: one UPDATE a minute per key, not one per request.
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
    return key


def api_key_revoke(*, key: ApiKey) -> ApiKey:
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
    return key
