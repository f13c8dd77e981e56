"""The journal entries payments write: one balanced entry per capture and per refund."""

from __future__ import annotations

from ledger.services import Line, journal_post

from ..models import Payment, Refund


def ledger_capture(*, payment: Payment) -> None:
    """Institution owes us the captured amount; we owe it to the merchant (pending settlement)."""
    amount, cur = payment.amount_captured, payment.currency
    journal_post(
        kind="capture",
        reference=payment.public_id,
        description=f"Capture of {payment.public_id}",
        idempotency_key=f"capture:{payment.public_id}",
        lines=[
            Line(
                owner=payment.institution,
                kind="institution_receivable",
                currency=cur,
                amount=amount,
            ),
            Line(
                owner=payment.merchant.public_id,
                kind="merchant_pending",
                currency=cur,
                amount=-amount,
            ),
        ],
    )


def ledger_refund(*, refund: Refund) -> None:
    payment = refund.payment
    amount, cur = refund.amount, refund.currency
    journal_post(
        kind="refund",
        reference=refund.public_id,
        description=f"Refund {refund.public_id} of {payment.public_id}",
        idempotency_key=f"refund:{refund.public_id}",
        lines=[
            Line(
                owner=payment.merchant.public_id,
                kind="merchant_pending",
                currency=cur,
                amount=amount,
            ),
            Line(
                owner=payment.institution,
                kind="institution_receivable",
                currency=cur,
                amount=-amount,
            ),
        ],
    )
