"""Merchant-initiated charges of saved cards, many at once (renewals, instalments).

``saved_charges_run`` is what recurring billing calls: for each charge, a new order and its
payment with the customer's saved card, off-session, exactly as ``payment_create_with_order``
with ``saved_method`` makes them (the same rows, events, ledger entries and institution
records). Results come back in the order of the charges; one charge's refusal does not stop
the others.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ..errors import DomainError, ValidationFailed
from ..models import Merchant, Payment
from .one_call import payment_create_with_order


@dataclass(frozen=True)
class SavedCharge:
    """One charge: the order's fields (those ``order_create`` takes; ``reference`` is the
    caller's idempotency key, unique per merchant) and the saved card ``pm_...`` to charge."""

    merchant: Merchant
    livemode: bool
    method_id: str
    order: dict = field(default_factory=dict)


@dataclass(frozen=True)
class ChargeResult:
    """A charge's payment (its ``order`` set; any status, a decline included), or why none
    was made: ``ValidationFailed`` (nothing written; a taken reference is the code
    ``duplicate`` on ``reference``) or ``DomainError`` (the charge could not be sent)."""

    payment: Payment | None = None
    error: ValidationFailed | DomainError | None = None


def saved_charges_run(charges: Sequence[SavedCharge]) -> list[ChargeResult]:
    """Make each charge; return one result per charge, in order."""
    results = []
    for charge in charges:
        try:
            payment = payment_create_with_order(
                merchant=charge.merchant,
                livemode=charge.livemode,
                saved_method=charge.method_id,
                **charge.order,
            )
        except (ValidationFailed, DomainError) as err:
            results.append(ChargeResult(error=err))
        else:
            results.append(ChargeResult(payment=payment))
    return results
