"""Authorize many card payments at once: merchant-initiated charges (renewals) sent as a batch.

The same issuer rules as one authorization (``authorize.card_decide``), decided one request
after the other, in one short transaction: the batch's accounts and their balances are locked
in one query each, in primary-key order (two batches over the same cards wait, never deadlock),
the funds are checked and taken in memory under those locks, and the balances, holds, debits and
answers are written in one statement each. A request the batch cannot answer that way (its
account or balance row is not there yet, an issuer that fails, a reference already used) is
answered by ``authorization_card`` on its own, after the batch, as are the later requests on the
same account, so each account sees its requests in their order.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from django.db import IntegrityError, transaction
from django.db.models import F

from ..cards import card_fingerprint
from ..connector import AuthorizationRequest, ConnectorError
from ..models import (
    SandboxAccount,
    SandboxAuthorization,
    SandboxBalance,
    SandboxHold,
    SandboxMovement,
)
from .accounts import balance_get_or_create
from .authorize import authorization_card, card_decide

logger = logging.getLogger(__name__)

Answer = SandboxAuthorization | ConnectorError


class _Held:
    """An account's locked balance row in one currency, whose funds the batch takes in memory
    (opened on first use, as the single path opens it)."""

    def __init__(
        self,
        balance: SandboxBalance | None = None,
        *,
        account: SandboxAccount | None = None,
        request: AuthorizationRequest | None = None,
    ) -> None:
        self._balance, self.taken = balance, False
        self.account, self.request = account, request

    @property
    def balance(self) -> SandboxBalance:
        if self._balance is None:
            self._balance = balance_get_or_create(
                account=self.account,
                currency=self.request.currency,
                currency_exponent=self.request.currency_exponent,
            )
        return self._balance

    def available(self) -> int:
        return self.balance.available_amount

    def take(self, amount: int, *, debit: bool) -> bool:
        # The same test as the single path's conditional UPDATE (``funds._funds_take``).
        if self.available() < amount:
            return False
        if debit:
            self.balance.debited += amount
        else:
            self.balance.held += amount
        self.taken = True
        return True


def authorizations_card_many(
    *, institution: str, requests: Sequence[AuthorizationRequest]
) -> list[Answer]:
    """Decide each card authorization at issuer ``institution``; return its recorded answer (or
    the ``ConnectorError`` it raised), in the order of ``requests``."""
    answers: list[Answer | None] = [None] * len(requests)
    try:
        with transaction.atomic():
            alone = _batch(institution=institution, requests=requests, answers=answers)
    except IntegrityError:
        # A reference answered before (a retry): each request is answered on its own.
        logger.info("sandbox batch at %s: a reference was used; answered one by one", institution)
        answers, alone = [None] * len(requests), list(range(len(requests)))
    for i in alone:
        try:
            answers[i] = authorization_card(institution=institution, request=requests[i])
        except ConnectorError as err:
            answers[i] = err
    return answers


def _batch(
    *, institution: str, requests: Sequence[AuthorizationRequest], answers: list
) -> list[int]:
    """Answer what the batch can in ``answers``; return the indexes left to answer alone."""
    fingerprints = {
        i: card_fingerprint(r.method.card_number) for i, r in enumerate(requests) if r.method
    }
    owners = {r.sandbox_owner for r in requests}
    found = SandboxAccount.objects.select_for_update(of=("self",)).filter(
        owner__key__in=owners,
        institution=institution,
        kind=SandboxAccount.Kind.CARD,
        fingerprint__in=set(fingerprints.values()),
    )
    accounts = {
        (a.owner_key, a.fingerprint): a
        for a in found.annotate(owner_key=F("owner__key")).order_by("pk")  # locked in pk order
    }
    balances = {
        (b.account_id, b.currency): _Held(b)
        for b in SandboxBalance.objects.select_for_update()
        .filter(account__in=list(accounts.values()), currency__in={r.currency for r in requests})
        .order_by("pk")
    }
    holds: list[SandboxHold] = []
    movements: list[SandboxMovement] = []

    def keep(hold: SandboxHold, movement: SandboxMovement | None) -> None:
        holds.append(hold)
        if movement is not None:
            movement.hold = hold
            movements.append(movement)

    alone: list[int] = []
    deferred: set[int] = set()  # accounts whose later requests wait for an earlier one's
    records: list[SandboxAuthorization] = []
    for i, request in enumerate(requests):
        account = accounts.get((request.sandbox_owner, fingerprints.get(i)))
        if account is None or account.pk in deferred or request.authenticated:
            # First use of the owner's sandbox, a card it does not know, or an answer after the
            # holder's OTP (which may decide a recorded challenge again): alone.
            alone.append(i)
            if account is not None:
                deferred.add(account.pk)
            continue
        funds = balances.setdefault(
            (account.pk, request.currency), _Held(account=account, request=request)
        )
        try:
            record = card_decide(
                institution=institution, request=request, account=account, funds=funds, keep=keep
            )
        except ConnectorError as err:
            answers[i] = err  # nothing taken: the issuer failed before the funds
            continue
        records.append(record)
        answers[i] = record
    SandboxHold.objects.bulk_create(holds)
    SandboxMovement.objects.bulk_create(movements)
    # Balances, holds and answers are inserted in one statement each.
    SandboxBalance.objects.bulk_update(
        [held.balance for held in balances.values() if held.taken], ["held", "debited"]
    )
    SandboxAuthorization.objects.bulk_create(records)
    return alone
