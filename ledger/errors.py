"""Errors of the ledger; each carries a stable `code` and a `message` safe to show staff."""

from __future__ import annotations


class LedgerError(Exception):
    code = "ledger_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
        self.entry: int | None = None

    def of_entry(self, index: int, reference: str) -> LedgerError:
        """Name the entry of a bulk post (its index in the call and reference) in the message."""
        self.entry = index
        self.message = f"Entry {index} ({reference!r}): {self.message}"
        self.args = (self.message,)
        return self


class InvalidEntry(LedgerError):
    """The lines cannot form a journal entry (none, a zero amount, an unknown kind ...)."""

    code = "invalid_entry"


class UnbalancedEntry(InvalidEntry):
    """The lines do not sum to zero in every currency."""

    code = "unbalanced_entry"

    def __init__(self, totals: dict[str, int]) -> None:
        self.totals = totals
        shown = ", ".join(f"{currency} {total:+d}" for currency, total in sorted(totals.items()))
        super().__init__(f"Journal entry does not balance: {shown}.")


class IdempotencyMismatch(LedgerError):
    """The idempotency key was already used for a different movement."""

    code = "idempotency_mismatch"
