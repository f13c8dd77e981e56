"""Double-entry bookkeeping: every money movement is a journal entry of balanced postings.

An account is one owner's (merchant id, "platform" or an institution code) account of one kind in
one currency. A posting is signed: debit positive, credit negative. The postings of an entry sum
to zero in every currency, so the ledger as a whole always does too. Balances are sums of
postings (see `selectors.py`); nothing stores them. Entries are written once and never changed:
a correction is another entry (kind `adjustment`).

`journal_post` is the only writer. It joins the caller's transaction, so the postings commit or
roll back together with the state change they record.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Q

from ledger.errors import IdempotencyMismatch, InvalidEntry, UnbalancedEntry
from ledger.models import JournalEntry, LedgerAccount, Posting

__all__ = ["Line", "journal_post"]

_CURRENCY = re.compile(r"[A-Z]{3}")


@dataclass(frozen=True)
class Line:
    """One posting to be written: `amount` in minor units, debit positive, credit negative."""

    owner: str
    kind: str
    currency: str
    amount: int


def _check_lines(kind: str, lines: Sequence[Line]) -> None:
    if kind not in JournalEntry.Kind.values:
        raise InvalidEntry(f"Unknown journal entry kind: {kind!r}.")
    if not lines:
        raise InvalidEntry("A journal entry needs postings.")
    totals: defaultdict[str, int] = defaultdict(int)
    for line in lines:
        if not line.owner:
            raise InvalidEntry("A ledger account needs an owner.")
        if line.kind not in LedgerAccount.Kind.values:
            raise InvalidEntry(f"Unknown ledger account kind: {line.kind!r}.")
        if not isinstance(line.currency, str) or not _CURRENCY.fullmatch(line.currency):
            raise InvalidEntry(f"Not an ISO 4217 currency code: {line.currency!r}.")
        if not isinstance(line.amount, int) or isinstance(line.amount, bool) or not line.amount:
            raise InvalidEntry(f"A posting amount is a non-zero int, not {line.amount!r}.")
        totals[line.currency] += line.amount
    unbalanced = {currency: total for currency, total in totals.items() if total}
    if unbalanced:
        raise UnbalancedEntry(unbalanced)


def _accounts(lines: Sequence[Line]) -> dict[tuple[str, str, str], LedgerAccount]:
    """The lines' accounts: those that exist in one query, the others created."""
    keys = {(line.owner, line.kind, line.currency) for line in lines}
    wanted = Q()
    for owner, kind, currency in keys:
        wanted |= Q(owner=owner, kind=kind, currency=currency)
    accounts = {(a.owner, a.kind, a.currency): a for a in LedgerAccount.objects.filter(wanted)}
    for owner, kind, currency in sorted(keys - accounts.keys()):
        # get_or_create retries the get when a concurrent transaction created the row first.
        account, _ = LedgerAccount.objects.get_or_create(owner=owner, kind=kind, currency=currency)
        accounts[owner, kind, currency] = account
    return accounts


def _same_movement(entry: JournalEntry, kind: str, reference: str, lines: Sequence[Line]) -> bool:
    written = Counter(
        entry.postings.values_list("account__owner", "account__kind", "account__currency", "amount")
    )
    wanted = Counter((line.owner, line.kind, line.currency, line.amount) for line in lines)
    return entry.kind == kind and entry.reference == reference and written == wanted


def _replay(key: str, kind: str, reference: str, lines: Sequence[Line]) -> JournalEntry | None:
    entry = JournalEntry.objects.filter(idempotency_key=key).first()
    if entry is not None and not _same_movement(entry, kind, reference, lines):
        raise IdempotencyMismatch(
            f"Idempotency key {key!r} was already used for another movement (entry {entry.pk})."
        )
    return entry


def journal_post(
    *,
    kind: str,
    reference: str,
    lines: Sequence[Line],
    description: str = "",
    idempotency_key: str | None = None,
) -> JournalEntry:
    """Write a journal entry and its postings; return it.

    Raise `UnbalancedEntry` when the lines do not sum to zero per currency and `InvalidEntry` for
    any other malformed input, before anything is written. With an `idempotency_key` already
    used, return the entry written then and write nothing; raise `IdempotencyMismatch` if that
    entry records another movement (kind, reference or lines differ).
    """
    _check_lines(kind, lines)
    # A used idempotency key is found by the unique constraint at the INSERT below (and answered
    # in the except branch), which spares the happy path a lookup.
    try:
        with transaction.atomic():
            entry = JournalEntry.objects.create(
                kind=kind,
                reference=reference,
                description=description,
                idempotency_key=idempotency_key,
            )
            accounts = _accounts(lines)
            Posting.objects.bulk_create(
                Posting(
                    entry=entry,
                    account=accounts[line.owner, line.kind, line.currency],
                    amount=line.amount,
                    currency=line.currency,
                )
                for line in lines
            )
    except IntegrityError:
        # The key was used (by an earlier or a concurrent call); answer with its entry.
        existing = _replay(idempotency_key, kind, reference, lines) if idempotency_key else None
        if existing is None:
            raise
        return existing
    return entry
