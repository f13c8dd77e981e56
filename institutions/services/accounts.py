"""The sandbox's accounts: the published test accounts and each account's funds per currency."""

from __future__ import annotations

from ..cards import card_fingerprint
from ..catalogue import SEED_ACCOUNTS
from ..models import SandboxAccount, SandboxBalance


def sandbox_accounts_seed() -> int:
    """Create the published test accounts that are missing; return how many were created.

    The seed migration does the same; this is for databases emptied by a flush (e.g. tests with
    ``transaction=True``).
    """
    created = 0
    for seed in SEED_ACCOUNTS:
        if seed.kind == SandboxAccount.Kind.CARD:
            lookup = {"fingerprint": card_fingerprint(seed.pan)}
        else:
            lookup = {"kind": seed.kind, "phone": seed.phone}
        _, was_created = SandboxAccount.objects.get_or_create(
            **lookup,
            defaults={
                "institution": seed.institution,
                "kind": seed.kind,
                "label": seed.label,
                "brand": seed.brand,
                "card_type": seed.card_type,
                "last4": seed.pan[-4:],
                "phone": seed.phone,
                "status": seed.status,
                "verification": seed.verification,
                "behaviour": seed.behaviour,
                "funds_major": seed.funds_major,
            },
        )
        created += was_created
    return created


def balance_get_or_create(
    *, account: SandboxAccount, currency: str, currency_exponent: int
) -> SandboxBalance:
    """Return the account's funds in ``currency``, opened at ``funds_major * 10**exponent``."""
    balance, _ = SandboxBalance.objects.get_or_create(
        account=account,
        currency=currency,
        defaults={
            "currency_exponent": currency_exponent,
            "opening_amount": account.funds_major * 10**currency_exponent,
        },
    )
    return balance
