"""Double-entry bookkeeping: every money movement is a journal entry of balanced postings.

An account is one owner's (merchant id, "platform" or an institution code) account of one kind in
one currency. A posting is signed: debit positive, credit negative. The postings of an entry sum
to zero in every currency, so the ledger as a whole always does too. Balances are sums of
postings (see `selectors.py`); nothing stores them. Entries are written once and never changed:
a correction is another entry (kind `adjustment`).

`journal_post` (one entry) and `journal_post_many` (a list of entries, in a constant number of
queries) are the only writers. They join the caller's transaction, so the postings commit or roll
back together with the state change they record.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from ledger import sql
from ledger.errors import IdempotencyMismatch, InvalidEntry, UnbalancedEntry
from ledger.models import JournalEntry, LedgerAccount, Posting

__all__ = ["EntryInput", "Line", "journal_post", "journal_post_many"]

_CURRENCY = re.compile(r"[A-Z]{3}")


@dataclass(frozen=True)
class Line:
    """One posting to be written: `amount` in minor units, debit positive, credit negative."""

    owner: str
    kind: str
    currency: str
    amount: int


@dataclass(frozen=True)
class EntryInput:
    """One journal entry to be written by `journal_post_many` (the arguments of `journal_post`)."""

    kind: str
    reference: str
    lines: Sequence[Line]
    description: str = ""
    idempotency_key: str | None = None

    def movement(self) -> tuple:
        """What the entry records: equal for two entries that move the same money."""
        return self.kind, self.reference, _postings(self.lines)


def _postings(lines: Sequence[Line]) -> Counter:
    return Counter((line.owner, line.kind, line.currency, line.amount) for line in lines)


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


def _accounts_ensure(entries: Sequence[EntryInput]) -> None:
    """Insert the lines' accounts that do not exist yet, in one statement (a row a concurrent
    transaction inserted first is left to it)."""
    keys = sorted({(line.owner, line.kind, line.currency) for e in entries for line in e.lines})
    LedgerAccount.objects.bulk_create(
        [LedgerAccount(owner=o, kind=k, currency=c) for o, k, c in keys], ignore_conflicts=True
    )


def _postings_write(entries: Sequence[EntryInput], rows: Sequence[JournalEntry]) -> None:
    """Insert the postings of ``entries`` (written as ``rows``) in one statement, which finds
    their accounts; two more the first time an account is used."""
    postings = [
        (row.pk, line.owner, line.kind, line.currency, line.amount)
        for entry, row in zip(entries, rows, strict=True)
        for line in entry.lines
    ]
    if postings and sql.postings_insert(postings) < len(postings):
        # An account is used for the first time: insert it, and the entries' postings again.
        _accounts_ensure(entries)
        Posting.objects.filter(entry__in=[row.pk for row in rows]).delete()
        sql.postings_insert(postings)


def _used(entries: Sequence[EntryInput]) -> dict[str, JournalEntry]:
    """The entries already written under the idempotency keys of ``entries``, by key; raise
    `IdempotencyMismatch` if one of them records another movement. Two queries."""
    wanted = {entry.idempotency_key: entry for entry in entries if entry.idempotency_key}
    found = {e.idempotency_key: e for e in JournalEntry.objects.filter(idempotency_key__in=wanted)}
    postings: defaultdict[int, Counter] = defaultdict(Counter)
    if found:
        rows = Posting.objects.filter(entry__in=found.values()).values_list(
            "entry_id", "account__owner", "account__kind", "account__currency", "amount"
        )
        for entry_id, *posting in rows:
            postings[entry_id][tuple(posting)] += 1
    for key, entry in found.items():
        if (entry.kind, entry.reference, postings[entry.pk]) != wanted[key].movement():
            raise IdempotencyMismatch(
                f"Idempotency key {key!r} was already used for another movement (entry {entry.pk})."
            )
    return found


def _checked(entries: list[EntryInput]) -> dict[str, int]:
    """Check every entry; return the index of the first entry of each idempotency key.

    Raise `InvalidEntry` (or `UnbalancedEntry`) naming the entry, or `IdempotencyMismatch` when
    two entries of the call give one key to different movements.
    """
    first: dict[str, int] = {}
    for index, entry in enumerate(entries):
        try:
            _check_lines(entry.kind, entry.lines)
        except InvalidEntry as err:
            raise err.of_entry(index, entry.reference) from None
        key = entry.idempotency_key
        if key is None:
            continue
        if key not in first:
            first[key] = index
        elif entries[first[key]].movement() != entry.movement():
            raise IdempotencyMismatch(
                f"Idempotency key {key!r} is given to two different movements"
                f" (entries {first[key]} and {index})."
            ).of_entry(index, entry.reference)
    return first


def journal_post_many(entries: Sequence[EntryInput]) -> list[JournalEntry]:
    """Write journal entries and their postings; return them, in the order given.

    The guarantees of `journal_post` for each entry, in a number of queries that does not
    depend on how many entries there are: every entry is checked before anything is written
    (`UnbalancedEntry` / `InvalidEntry` naming the entry by index and reference); an entry whose
    `idempotency_key` was already used (earlier, concurrently, or by an earlier entry of the same
    call) is answered by the entry written under it and writes nothing, or raises
    `IdempotencyMismatch` if that entry records another movement. The call is all or nothing:
    when it raises, none of its entries is written.

    Happy path: one INSERT of the entries and one INSERT of the postings, which finds their
    accounts (``ledger.sql``); two more statements when an account is new, and two when a
    key was used.
    """
    entries = list(entries)
    first = _checked(entries)
    # Each key's first entry, and the entries without one, are to be written.
    todo = [
        i
        for i, e in enumerate(entries)
        if e.idempotency_key is None or first[e.idempotency_key] == i
    ]
    # Keys inserted in one order by every caller: two calls waiting on each other's
    # uncommitted keys cannot deadlock.
    todo.sort(
        key=lambda i: (entries[i].idempotency_key is None, entries[i].idempotency_key or "", i)
    )
    rows = {
        i: JournalEntry(
            kind=entries[i].kind,
            reference=entries[i].reference,
            description=entries[i].description,
            idempotency_key=entries[i].idempotency_key,
        )
        for i in todo
    }
    # A used key is skipped by the INSERT (``ON CONFLICT DO NOTHING``), which spares the happy
    # path a lookup and a savepoint; the entries under the skipped keys are read afterwards.
    inserted = {id(row) for row in sql.entries_insert([rows[i] for i in todo])}
    written = {i: row for i, row in rows.items() if id(row) in inserted}
    used: dict[str, JournalEntry] = {}
    if skipped := [entries[i] for i in todo if i not in written]:
        try:
            used = _used(skipped)
        except IdempotencyMismatch:
            # All or nothing: the entries this call wrote go too (no posting is written yet).
            JournalEntry.objects.filter(pk__in=[row.pk for row in written.values()]).delete()
            raise
    _postings_write([entries[i] for i in written], list(written.values()))
    result = []
    for index, entry in enumerate(entries):
        key = entry.idempotency_key
        if index in written:
            result.append(written[index])
        elif key in used:
            result.append(used[key])
        else:  # a repeat of an earlier entry of this call
            result.append(written[first[key]])
    return result


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

    The queries of `journal_post_many` for one entry: the entry's INSERT and the postings'.
    """
    _check_lines(kind, lines)  # raised as is: the message needs no entry number
    entry = EntryInput(kind, reference, lines, description, idempotency_key)
    return journal_post_many([entry])[0]
