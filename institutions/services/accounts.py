"""The sandbox's accounts: one set of the published test accounts per owner (opened on first
use), each account's funds per currency, and the reset to the published balances."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import F

from ..cards import card_fingerprint
from ..catalogue import SEED_ACCOUNTS, SeedAccount
from ..models import SandboxAccount, SandboxBalance, SandboxHold, SandboxOwner
from .common import now

SHARED_OWNER = ""  # the sandbox of callers that name no owner, and of the time before owners


@dataclass(frozen=True)
class OpenedSandbox:
    owner: SandboxOwner
    just_opened: bool  # opened now (by this call or a concurrent one): its accounts are new


@dataclass(frozen=True)
class SandboxReset:
    accounts: int  # the owner's accounts, all back at their published funds
    holds_released: int


def _lookup(seed: SeedAccount) -> dict[str, str]:
    if seed.kind == SandboxAccount.Kind.CARD:
        return {"fingerprint": card_fingerprint(seed.pan)}
    return {"kind": seed.kind, "phone": seed.phone}


def _fields(seed: SeedAccount) -> dict[str, object]:
    return {
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
    }


def sandbox_owner_open(*, key: str) -> OpenedSandbox:
    """Return the owner's sandbox, opened with the published accounts on its first use.

    Two first uses at once open it once: the owner row and its accounts are inserted in one
    transaction, the unique key makes the second insert wait for the first and fail, and the
    second caller then reads the sandbox the first opened.
    """
    owner = SandboxOwner.objects.filter(key=key).first()
    if owner is not None:
        return OpenedSandbox(owner=owner, just_opened=False)
    try:
        with transaction.atomic():
            owner = SandboxOwner.objects.create(key=key)
            SandboxAccount.objects.bulk_create(
                SandboxAccount(owner=owner, **{**_fields(seed), **_lookup(seed)})
                for seed in SEED_ACCOUNTS
            )
    except IntegrityError:
        # Opened by a concurrent first use, committed now: its accounts are there to find.
        return OpenedSandbox(owner=SandboxOwner.objects.get(key=key), just_opened=True)
    return OpenedSandbox(owner=owner, just_opened=True)


def sandbox_accounts_seed(*, key: str = SHARED_OWNER) -> int:
    """Create the owner's published test accounts that are missing; return how many were created.

    The seed migration does the same for the shared sandbox; this is for databases emptied by a
    flush (e.g. tests with ``transaction=True``) and catalogues that grew.
    """
    owner = SandboxOwner.objects.get_or_create(key=key)[0]
    created = 0
    for seed in SEED_ACCOUNTS:
        _, was_created = SandboxAccount.objects.get_or_create(
            owner=owner, **_lookup(seed), defaults=_fields(seed)
        )
        created += was_created
    return created


@transaction.atomic
def sandbox_reset(*, key: str) -> SandboxReset:
    """Bring the owner's accounts back to their published funds in every currency: release the
    active holds and credit back what was spent. An owner never used has nothing to reset.

    Locks the owner, then its accounts, then their holds (the order every hold operation keeps
    for account and hold), so no authorization, capture or refund of the owner runs meanwhile.
    """
    owner = SandboxOwner.objects.select_for_update().filter(key=key).first()
    if owner is None:
        return SandboxReset(accounts=0, holds_released=0)
    accounts = list(
        SandboxAccount.objects.select_for_update()
        .filter(owner=owner)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    holds = list(
        SandboxHold.objects.select_for_update()
        .filter(account_id__in=accounts, status=SandboxHold.Status.ACTIVE)
        .order_by("pk")
    )
    for hold in holds:
        hold.void()
        hold.save(update_fields=["status", "updated_at"])
    # With no hold left, available = opening + credit - debited + refunded = opening.
    SandboxBalance.objects.filter(account_id__in=accounts).update(
        held=0, reset_credit=F("debited") - F("refunded")
    )
    owner.reset_at = now()
    owner.save(update_fields=["reset_at"])
    return SandboxReset(accounts=len(accounts), holds_released=len(holds))


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
