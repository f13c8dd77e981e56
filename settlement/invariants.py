"""Settlement's money invariants (DESIGN section 4), for ``merchant_portal.invariants``.

Every captured payment is in at most one batch, each batch's payout equals captured - refunds -
fees (with any carried negative net) to the minor unit and matches its lines, and every batch
and payout has the ledger entry its amounts call for.
"""

from __future__ import annotations

from .reconciliation import batch_total_differences, ledger_entry_differences, line_differences


def _describe(diff: dict) -> str:
    extra = {
        k: v
        for k, v in diff.items()
        if k not in {"check", "object", "expected", "actual", "difference"}
    }
    text = (
        f"settlement {diff['check']} {diff['object']}: expected {diff['expected']}, "
        f"found {diff['actual']} (difference {diff['difference']:+d})"
    )
    return f"{text} {extra}" if extra else text


def settlement_violations() -> list[str]:
    """Return every violation of the settlement invariants (empty when all hold)."""
    diffs = batch_total_differences() + line_differences() + ledger_entry_differences()
    return [_describe(d) for d in diffs]
