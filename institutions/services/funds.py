"""An account's funds as an authorization checks and takes them: on the balance row (one
conditional UPDATE, the single authorization) or in memory under the batch's row locks."""

from __future__ import annotations

from typing import Protocol

from django.db.models import F, Q

from .. import selectors
from ..connector import AuthorizationRequest
from ..models import SandboxAccount, SandboxBalance, SandboxHold, SandboxMovement
from .accounts import balance_get_or_create


class Funds(Protocol):
    """An account's funds in the request's currency, as ``_hold`` checks and takes them."""

    def available(self) -> int: ...

    def take(self, amount: int, *, debit: bool) -> bool: ...


class BalanceRow:
    """The funds read and taken on the balance row itself (one conditional UPDATE)."""

    def __init__(self, *, account: SandboxAccount, request: AuthorizationRequest) -> None:
        self.account, self.request = account, request

    def _opened(self) -> SandboxBalance:
        return balance_get_or_create(
            account=self.account,
            currency=self.request.currency,
            currency_exponent=self.request.currency_exponent,
        )

    def available(self) -> int:
        return selectors.account_available_amount(balance=self._opened())

    def take(self, amount: int, *, debit: bool) -> bool:
        take = {"account": self.account, "currency": self.request.currency, "amount": amount}
        if _funds_take(**take, debit=debit):
            return True
        # Not enough funds, or no balance row yet in this currency: open it and try once more.
        self._opened()
        return _funds_take(**take, debit=debit)


def hold_saved(hold: SandboxHold, movement: SandboxMovement | None) -> None:
    hold.save(force_insert=True)
    if movement is not None:
        movement.hold = hold
        movement.save(force_insert=True)


def _funds_take(*, account: SandboxAccount, currency: str, amount: int, debit: bool) -> bool:
    """Hold (or, for a sale, debit) ``amount`` if the available funds cover it (one UPDATE).

    False when they don't, or when the account has no balance row in ``currency`` yet.
    """
    covered = Q(
        opening_amount__gte=F("held") + F("debited") - F("refunded") - F("reset_credit") + amount
    )
    column = "debited" if debit else "held"
    updated = SandboxBalance.objects.filter(covered, account=account, currency=currency).update(
        **{column: F(column) + amount}
    )
    return updated == 1
