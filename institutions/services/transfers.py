"""Bank transfers: the shopper's money arriving, then capture, close (void) and refund."""

from __future__ import annotations

import logging

from django.db import transaction

from ..connector import ConnectorError, OperationResult
from ..models import SandboxMovement, SandboxTransfer
from .common import DECLINE_MESSAGES, failed, now, replayed_result

logger = logging.getLogger(__name__)


def _locked_transfer(**lookup: str) -> SandboxTransfer | None:
    return SandboxTransfer.objects.select_for_update().filter(**lookup).first()


@transaction.atomic
def transfer_receive(*, transfer_reference: str, amount: int) -> SandboxTransfer:
    """Record the shopper's transfer arriving; a repeat after receipt changes nothing.

    Raise ``LookupError`` for an unknown transfer reference, ``ConnectorError`` with
    ``amount_mismatch``, ``transfer_closed`` or ``transfer_expired`` when it cannot be accepted.
    """
    transfer = _locked_transfer(transfer_reference=transfer_reference.strip().upper())
    if transfer is None:
        raise LookupError(f"no sandbox transfer {transfer_reference!r}")
    if transfer.status in (SandboxTransfer.Status.RECEIVED, SandboxTransfer.Status.CAPTURED):
        return transfer
    if transfer.status == SandboxTransfer.Status.CLOSED:
        raise ConnectorError("transfer_closed", DECLINE_MESSAGES["transfer_closed"])
    if now() >= transfer.expires_at:
        raise ConnectorError("transfer_expired", DECLINE_MESSAGES["transfer_expired"])
    if amount != transfer.amount:
        raise ConnectorError("amount_mismatch", "The amount received differs from the amount due.")
    transfer.receive(now())
    transfer.save()
    SandboxMovement.objects.create(
        kind=SandboxMovement.Kind.TRANSFER_IN,
        transfer=transfer,
        reference=transfer.transfer_reference,
        amount=amount,
        currency=transfer.currency,
    )
    logger.info("sandbox transfer %s received for %s", transfer.pk, transfer.reference)
    return transfer


@transaction.atomic(savepoint=False)
def transfer_capture(*, institution_reference: str, amount: int) -> OperationResult:
    """Capture a received transfer (at most its amount); capturing again succeeds again."""
    transfer = _locked_transfer(institution_reference=institution_reference)
    if transfer is None:
        return failed("not_found", "No such transfer.", institution_reference)
    status = transfer.status
    if status == SandboxTransfer.Status.CAPTURED:
        return OperationResult(
            succeeded=True,
            institution_reference=institution_reference,
            amount=transfer.amount_captured,
        )
    if status != SandboxTransfer.Status.RECEIVED:
        code = "transfer_closed" if status == SandboxTransfer.Status.CLOSED else "not_received"
        return failed(code, "The transfer has not been received.", institution_reference)
    if not 0 < amount <= transfer.amount:
        return failed("invalid_amount", "The capture exceeds the transfer.", institution_reference)
    transfer.capture(amount)
    transfer.save()
    return OperationResult(
        succeeded=True, institution_reference=institution_reference, amount=amount
    )


@transaction.atomic(savepoint=False)
def transfer_void(*, institution_reference: str) -> OperationResult:
    """Close an unpaid transfer's virtual account; closing it again succeeds again."""
    transfer = _locked_transfer(institution_reference=institution_reference)
    if transfer is None:
        return failed("not_found", "No such transfer.", institution_reference)
    if transfer.status == SandboxTransfer.Status.AWAITING:
        transfer.close()
        transfer.save()
    elif transfer.status != SandboxTransfer.Status.CLOSED:
        return failed(
            "transfer_received", "The money has arrived: refund it instead.", institution_reference
        )
    return OperationResult(succeeded=True, institution_reference=institution_reference)


@transaction.atomic(savepoint=False)
def transfer_refund(*, reference: str, institution_reference: str, amount: int) -> OperationResult:
    """Send received money back, never more than captured (or received, if not captured)."""
    transfer = _locked_transfer(institution_reference=institution_reference)
    if transfer is None:
        return failed("not_found", "No such transfer.", institution_reference)
    replayed = replayed_result(
        kind=SandboxMovement.Kind.TRANSFER_REFUND, reference=reference, transfer=transfer
    )
    if replayed is not None:
        return replayed
    if transfer.status not in (SandboxTransfer.Status.RECEIVED, SandboxTransfer.Status.CAPTURED):
        return failed("not_received", "The transfer has not been received.", institution_reference)
    if not 0 < amount <= transfer.refundable_amount:
        return failed(
            "amount_exceeds_captured",
            "The refund exceeds the captured amount.",
            institution_reference,
        )
    transfer.amount_refunded += amount
    transfer.save(update_fields=["amount_refunded", "updated_at"])
    SandboxMovement.objects.create(
        kind=SandboxMovement.Kind.TRANSFER_REFUND,
        transfer=transfer,
        reference=reference,
        amount=amount,
        currency=transfer.currency,
    )
    return OperationResult(
        succeeded=True, institution_reference=institution_reference, amount=amount
    )
