"""The journal entries of bulk payouts: hold at approval, then pay, release or take back.

- approval: settled balance (``merchant_payable``) → ``merchant_payout_hold``, per currency;
- paid: hold → ``merchant_paid_out`` (the money left for the recipient's bank);
- failed: hold → back to ``merchant_payable``;
- returned (after paid): ``merchant_paid_out`` → back to ``merchant_payable``.
"""

from __future__ import annotations

from ledger.services import Line, journal_post

from ..models import PayoutBatch, PayoutItem

PAYABLE, HOLD, PAID_OUT = "merchant_payable", "merchant_payout_hold", "merchant_paid_out"


def ledger_batch_hold(*, batch: PayoutBatch, totals: dict[str, int]) -> None:
    owner = batch.merchant.public_id
    lines = []
    for currency, amount in sorted(totals.items()):
        lines += [
            Line(owner=owner, kind=PAYABLE, currency=currency, amount=amount),
            Line(owner=owner, kind=HOLD, currency=currency, amount=-amount),
        ]
    journal_post(
        kind="bulk_payout",
        reference=batch.public_id,
        description=f"Hold for payout batch {batch.public_id} ({batch.reference})",
        idempotency_key=f"payout_batch_hold:{batch.public_id}",
        lines=lines,
    )


_MOVES = {
    # item status reached: (debited account, credited account, verb)
    PayoutItem.Status.PAID: (HOLD, PAID_OUT, "paid"),
    PayoutItem.Status.FAILED: (HOLD, PAYABLE, "failed"),
    PayoutItem.Status.RETURNED: (PAID_OUT, PAYABLE, "returned"),
}


def ledger_item_outcome(*, item: PayoutItem, owner: str) -> None:
    """Post the movement of ``item`` reaching its current status (paid, failed or returned)."""
    debit, credit, verb = _MOVES[item.status]
    amount, currency = item.amount, item.currency
    journal_post(
        kind="bulk_payout",
        reference=item.public_id,
        description=f"Payout {item.public_id} ({item.reference}) {verb}",
        idempotency_key=f"payout_item_{verb}:{item.public_id}",
        lines=[
            Line(owner=owner, kind=debit, currency=currency, amount=amount),
            Line(owner=owner, kind=credit, currency=currency, amount=-amount),
        ],
    )
