"""The journal entries payments write: one balanced entry per capture and per refund."""

from __future__ import annotations

from fx.models import Conversion, RefundConversion
from ledger.services import EntryInput, Line, journal_post

from ..models import Payment, Refund
from .fx import converted_capture_lines, converted_refund_lines


def ledger_capture(*, payment: Payment, conversion: Conversion | None = None) -> None:
    """Institution owes us the captured amount; we owe it to the merchant (pending settlement),
    in the merchant's settlement currency through FX clearing when the capture was converted."""
    entry = capture_entry(payment=payment, conversion=conversion)
    journal_post(
        kind=entry.kind,
        reference=entry.reference,
        description=entry.description,
        idempotency_key=entry.idempotency_key,
        lines=entry.lines,
    )


def capture_entry(*, payment: Payment, conversion: Conversion | None = None) -> EntryInput:
    """The capture's journal entry (``ledger_capture``), for ``journal_post_many`` to write."""
    amount, cur = payment.amount_captured, payment.currency
    converted = conversion is not None and conversion.converted
    return EntryInput(
        kind="capture",
        reference=payment.public_id,
        description=f"Capture of {payment.public_id}",
        idempotency_key=f"capture:{payment.public_id}",
        lines=converted_capture_lines(payment=payment, conversion=conversion)
        if converted
        else [
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


def ledger_refund(*, refund: Refund, conversion: RefundConversion | None = None) -> None:
    """The merchant gives the refund back (at the capture's rate when it was converted)."""
    payment = refund.payment
    amount, cur = refund.amount, refund.currency
    journal_post(
        kind="refund",
        reference=refund.public_id,
        description=f"Refund {refund.public_id} of {payment.public_id}",
        idempotency_key=f"refund:{refund.public_id}",
        lines=converted_refund_lines(refund=refund, conversion=conversion)
        if conversion is not None
        else [
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
