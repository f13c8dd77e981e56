"""Every app's invariant checks in one list (this package may import every app)."""

from __future__ import annotations

from invoicing.invariants import invoicing_violations
from payments.invariants import invariant_violations


def all_violations() -> list[str]:
    """Return every violation of the money invariants, of every app that has them."""
    out = list(invariant_violations()) + invoicing_violations()
    try:
        from settlement.invariants import settlement_violations
    except ImportError:
        return out
    from payouts.invariants import payout_violations

    return out + list(settlement_violations()) + payout_violations()
