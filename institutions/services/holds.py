"""Holds: capture, void and refund of the money a card or wallet authorization holds.

Capture, void and refund run inside the caller's transaction when there is one (payments calls
them under its row locks), without a savepoint of their own: none of their callers goes on
after one of them raises, so the whole transaction rolls back, and two round trips are saved.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import F

from ..connector import OperationResult
from ..models import SandboxAccount, SandboxBalance, SandboxHold, SandboxMovement
from .common import failed, replayed_result


def _locked_hold(*, institution: str, institution_reference: str) -> SandboxHold | None:
    """Lock the hold's account, then the hold (always in that order); None if unknown here."""
    holds = SandboxHold.objects.filter(institution_reference=institution_reference)
    account_pk = (
        SandboxAccount.objects.select_for_update()
        .filter(institution=institution, pk__in=holds.values("account_id"))
        .values_list("pk", flat=True)
        .first()
    )
    if account_pk is None:
        return None
    return holds.select_for_update().get(account_id=account_pk)


def _balance_change(*, hold: SandboxHold, held: int = 0, debited: int = 0, refunded: int = 0):
    """Move the running totals of the hold's balance; the caller holds the account lock."""
    changed = SandboxBalance.objects.filter(
        account_id=hold.account_id, currency=hold.currency
    ).update(
        held=F("held") + held, debited=F("debited") + debited, refunded=F("refunded") + refunded
    )
    if changed != 1:  # every hold is made after its balance row (``authorize._hold``)
        raise LookupError(f"No balance row for hold {hold.institution_reference}.")


@transaction.atomic(savepoint=False)
def hold_capture(
    *, institution: str, reference: str, institution_reference: str, amount: int
) -> OperationResult:
    """Debit ``amount`` (at most the hold) and release the rest; repeat-safe by ``reference``."""
    hold = _locked_hold(institution=institution, institution_reference=institution_reference)
    if hold is None:
        return failed("not_found", "No such hold.", institution_reference)
    replayed = replayed_result(kind=SandboxMovement.Kind.DEBIT, reference=reference, hold=hold)
    if replayed is not None:
        return replayed
    if hold.status != SandboxHold.Status.ACTIVE:
        return failed("hold_not_active", f"The hold is {hold.status}.", institution_reference)
    if not 0 < amount <= hold.amount:
        return failed("invalid_amount", "The capture exceeds the hold.", institution_reference)
    hold.capture(amount)
    hold.save(update_fields=["status", "amount_captured", "updated_at"])
    _balance_change(hold=hold, held=-hold.amount, debited=amount)
    SandboxMovement.objects.create(
        kind=SandboxMovement.Kind.DEBIT,
        account_id=hold.account_id,
        hold=hold,
        reference=reference,
        amount=amount,
        currency=hold.currency,
    )
    return OperationResult(
        succeeded=True, institution_reference=institution_reference, amount=amount
    )


@transaction.atomic(savepoint=False)
def hold_void(*, institution: str, reference: str, institution_reference: str) -> OperationResult:
    """Release the whole hold; voiding a voided hold succeeds again."""
    hold = _locked_hold(institution=institution, institution_reference=institution_reference)
    if hold is None:
        return failed("not_found", "No such hold.", institution_reference)
    if hold.status == SandboxHold.Status.ACTIVE:
        hold.void()
        hold.save()
        _balance_change(hold=hold, held=-hold.amount)
    elif hold.status != SandboxHold.Status.VOIDED:
        return failed("hold_not_active", f"The hold is {hold.status}.", institution_reference)
    return OperationResult(
        succeeded=True, institution_reference=institution_reference, amount=hold.amount
    )


@transaction.atomic(savepoint=False)
def hold_refund(
    *, institution: str, reference: str, institution_reference: str, amount: int
) -> OperationResult:
    """Credit the holder back, never beyond what was captured; repeat-safe by ``reference``."""
    hold = _locked_hold(institution=institution, institution_reference=institution_reference)
    if hold is None:
        return failed("not_found", "No such hold.", institution_reference)
    replayed = replayed_result(kind=SandboxMovement.Kind.REFUND, reference=reference, hold=hold)
    if replayed is not None:
        return replayed
    if hold.status != SandboxHold.Status.CAPTURED:
        return failed("not_captured", "Nothing was captured.", institution_reference)
    if not 0 < amount <= hold.amount_captured - hold.amount_refunded:
        return failed(
            "amount_exceeds_captured",
            "The refund exceeds the captured amount.",
            institution_reference,
        )
    hold.amount_refunded += amount
    hold.save(update_fields=["amount_refunded", "updated_at"])
    _balance_change(hold=hold, refunded=amount)
    SandboxMovement.objects.create(
        kind=SandboxMovement.Kind.REFUND,
        account_id=hold.account_id,
        hold=hold,
        reference=reference,
        amount=amount,
        currency=hold.currency,
    )
    return OperationResult(
        succeeded=True, institution_reference=institution_reference, amount=amount
    )
