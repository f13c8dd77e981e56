"""What the sandbox's services share: the clock, references, decline texts, failed outcomes, the
age a delegated passkey verification may have."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from django.utils import timezone

from ..connector import AuthorizationRequest, OperationResult
from ..models import SandboxHold, SandboxMovement

DECLINE_MESSAGES = {
    "insufficient_funds": "The account has insufficient funds.",
    "card_declined": "The card was declined.",
    "incorrect_cvc": "The card's security code is incorrect.",
    "expired_card": "The card has expired.",
    "lost_card": "The card was reported lost.",
    "stolen_card": "The card was reported stolen.",
    "card_not_supported": "This card is not supported.",
    "incorrect_number": "The card number is incorrect.",
    "invalid_account": "No wallet is registered to this phone number.",
    "account_blocked": "The wallet account is blocked.",
    "account_closed": "The account was closed by its holder or the institution.",
    "invalid_amount": "The amount must be positive.",
    "transfer_expired": "The transfer was not received in time.",
    "transfer_closed": "The transfer account was closed unpaid.",
}


def now() -> datetime:
    """The clock; a seam for tests."""
    return timezone.now()


def new_reference(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(12)}"


def failed(code: str, message: str, institution_reference: str = "") -> OperationResult:
    return OperationResult(
        succeeded=False,
        institution_reference=institution_reference,
        failure_code=code,
        message=message,
    )


def replayed_result(
    *, kind: str, reference: str, hold: SandboxHold | None = None, transfer=None
) -> OperationResult | None:
    """Return the stored success of an operation already done under ``reference``, or None."""
    if not reference:
        return None
    done = SandboxMovement.objects.filter(kind=kind, reference=reference).first()
    if done is None:
        return None
    target = hold or transfer
    if (done.hold_id if hold else done.transfer_id) != target.pk:
        return failed("reference_reused", "The reference was already used for another operation.")
    return OperationResult(
        succeeded=True, institution_reference=target.institution_reference, amount=done.amount
    )


#: How old a delegated passkey verification may be when the authorization arrives.
DELEGATION_MAX_AGE = timedelta(minutes=10)


def delegation_acceptable(request: AuthorizationRequest) -> bool:
    """Accept a passkey verified by the PSP like a passed OTP: it names its credential and is
    recent. An OTP (or no detail: callers before delegation) stands as before."""
    delegated = request.delegated
    if delegated is None or delegated.method != "passkey":
        return True
    if not delegated.credential_id or delegated.authenticated_at is None:
        return False
    return now() - delegated.authenticated_at <= DELEGATION_MAX_AGE
