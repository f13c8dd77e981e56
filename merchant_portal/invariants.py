"""Every app's invariant checks in one list (this package may import every app)."""

from __future__ import annotations

from payments.invariants import invariant_violations


def all_violations() -> list[str]:
    """Return every violation of the money invariants across payments, ledger and settlement."""
    out = list(invariant_violations())
    try:
        from settlement.invariants import settlement_violations
    except ImportError:
        return out
    return out + list(settlement_violations())
