"""Read-side queries of the sandbox institutions."""

from __future__ import annotations

from django.db.models import QuerySet, Sum

from .cards import card_fingerprint, normalize_phone
from .models import (
    SandboxAccount,
    SandboxAuthorization,
    SandboxBalance,
    SandboxHold,
    SandboxMovement,
)


def accounts_for_card(
    *, owner_key: str, institution: str, card_number: str
) -> QuerySet[SandboxAccount]:
    """The owner's card account of ``institution`` with this PAN's fingerprint (none for no PAN)."""
    if not card_number:
        return SandboxAccount.objects.none()
    return SandboxAccount.objects.filter(
        owner__key=owner_key,
        institution=institution,
        kind=SandboxAccount.Kind.CARD,
        fingerprint=card_fingerprint(card_number),
    )


def accounts_for_wallet(
    *, owner_key: str, institution: str, phone: str
) -> QuerySet[SandboxAccount]:
    """The owner's wallet account of ``institution`` registered to ``phone`` (none for no phone)."""
    phone = normalize_phone(phone)
    if not phone:
        return SandboxAccount.objects.none()
    return SandboxAccount.objects.filter(
        owner__key=owner_key, institution=institution, kind=SandboxAccount.Kind.WALLET, phone=phone
    )


def account_available_amount(*, balance: SandboxBalance) -> int:
    """Return opening funds − active holds − captured debits + refunds credited, in one currency.

    Read from the balance row's running totals: fetch ``balance`` under the account's row lock
    for an answer that holds until the commit.
    """
    return balance.available_amount


def account_totals_recount(*, balance: SandboxBalance) -> dict[str, int]:
    """Return ``held``, ``debited`` and ``refunded`` summed from the holds and movements: what the
    balance row's running totals must equal (for checks; three SUM queries)."""
    account_id, currency = balance.account_id, balance.currency
    held = _sum(
        SandboxHold.objects.filter(
            account_id=account_id, currency=currency, status=SandboxHold.Status.ACTIVE
        )
    )
    movements = SandboxMovement.objects.filter(account_id=account_id, currency=currency)
    return {
        "held": held,
        "debited": _sum(movements.filter(kind=SandboxMovement.Kind.DEBIT)),
        "refunded": _sum(movements.filter(kind=SandboxMovement.Kind.REFUND)),
    }


def _sum(queryset) -> int:
    return queryset.aggregate(total=Sum("amount"))["total"] or 0


def authorization_get(*, reference: str) -> SandboxAuthorization | None:
    """Return the record of the authorize call made under ``reference``, or None."""
    return (
        SandboxAuthorization.objects.select_related("hold", "transfer")
        .filter(reference=reference)
        .first()
    )
