"""Authorize: a card, wallet or bank-transfer payment decided from the account's status and
funds, and recorded under the caller's reference (see the package docstring)."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from .. import selectors, sql
from ..cards import card_fingerprint, luhn_valid, mask_phone
from ..connector import (
    AuthorizationRequest,
    AuthorizationResult,
    Challenge,
    ConnectorError,
    Decision,
    TransferInstructions,
)
from ..models import (
    SandboxAccount,
    SandboxAuthorization,
    SandboxHold,
    SandboxMovement,
    SandboxTransfer,
)
from .accounts import sandbox_owner_open
from .common import DECLINE_MESSAGES, delegation_acceptable, new_reference, now
from .funds import BalanceRow, Funds, hold_saved

logger = logging.getLogger(__name__)

BANK_NAME = "Sandbox Bank"
_TRANSFER_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read out over the phone
_CARD_STATUS_DECLINES = {
    SandboxAccount.Status.BLOCKED: "card_declined",
    SandboxAccount.Status.EXPIRED: "expired_card",
    SandboxAccount.Status.LOST: "lost_card",
    SandboxAccount.Status.STOLEN: "stolen_card",
    SandboxAccount.Status.CLOSED: "account_closed",
}

Decide = Callable[..., SandboxAuthorization]


def authorization_card(*, institution: str, request: AuthorizationRequest) -> SandboxAuthorization:
    """Decide a card authorization at issuer ``institution`` and record it under its reference.

    Raise ``ConnectorError("processing_error")`` for an issuer that fails; nothing is recorded.
    """
    accounts = selectors.accounts_for_card(
        owner_key=request.sandbox_owner,
        institution=institution,
        card_number=request.method.card_number,
    )
    return _authorize(
        institution=institution,
        request=request,
        accounts=accounts,
        decide=_card,
        quick=_card_sale_quick,
    )


def authorization_wallet(
    *, institution: str, request: AuthorizationRequest
) -> SandboxAuthorization:
    """Decide a wallet payment: the holder approves every one by OTP (CHALLENGE until then)."""
    accounts = selectors.accounts_for_wallet(
        owner_key=request.sandbox_owner,
        institution=institution,
        phone=request.method.wallet_phone,
    )
    return _authorize(institution=institution, request=request, accounts=accounts, decide=_wallet)


def authorization_transfer(
    *, institution: str, request: AuthorizationRequest
) -> SandboxAuthorization:
    """Open a virtual account for the shopper's bank transfer; the answer is PENDING."""
    return _authorize(institution=institution, request=request, accounts=None, decide=_transfer)


def _authorize(
    *,
    institution: str,
    request: AuthorizationRequest,
    accounts: QuerySet[SandboxAccount] | None,
    decide: Decide,
    quick: Callable[..., SandboxAuthorization | None] | None = None,
) -> SandboxAuthorization:
    try:
        with transaction.atomic():
            previous = None
            # ``quick``: the common approval decided in fewer queries, or None for the rest.
            record = quick(institution=institution, request=request) if quick else None
            if record is None:
                # Found and locked in one query. The lock serialises every authorization of
                # this account: funds are checked and held under it, so two calls cannot both
                # spend them.
                account = _account_locked(accounts, owner_key=request.sandbox_owner)
                # Only a call after the holder's OTP can find an answer to decide again. Any
                # other call is decided and inserted straight away: if its reference was
                # answered before (a retry), the INSERT fails, this block rolls back, and the
                # recorded answer stands.
                if request.authenticated:
                    previous = _recorded(institution=institution, request=request)
                if previous is not None and not _decided_again(previous, request):
                    return previous
                record = decide(institution=institution, request=request, account=account)
            record = _save_answer(record, previous)
    except IntegrityError:
        # The reference was answered before, by an earlier or a concurrent call: answer that.
        record = _recorded(institution=institution, request=request, lock=False)
        if record is None:
            raise
        return record
    logger.info(
        "sandbox authorization %s at %s: %s %s",
        record.reference,
        institution,
        record.decision,
        record.decline_code,
    )
    return record


def _card_sale_quick(
    *, institution: str, request: AuthorizationRequest
) -> SandboxAuthorization | None:
    """A sale on a card account that approves without a question, locked and debited in one
    statement (``sql.card_sale_debit``); else None, nothing done, and ``_card`` decides."""
    method = request.method
    if (
        not request.capture_reference
        or request.authenticated
        or request.amount <= 0
        or not method.card_number
        or _expired(exp_month=method.exp_month, exp_year=method.exp_year)
    ):
        return None
    account_id = sql.card_sale_debit(
        owner_key=request.sandbox_owner,
        institution=institution,
        fingerprint=card_fingerprint(method.card_number),
        currency=request.currency,
        amount=request.amount,
    )
    if account_id is None:
        return None
    return _held(
        institution=institution, request=request, account_id=account_id, sale=True,
        keep=hold_saved,
    )  # fmt: skip


def _account_locked(
    accounts: QuerySet[SandboxAccount] | None, *, owner_key: str
) -> SandboxAccount | None:
    """Lock and return the account, opening the owner's sandbox first if this is its first use.

    The owner is looked for only when no account was found (a first use, or a card the sandbox
    does not know), which keeps a payment of a known card at one query.
    """
    if accounts is None:
        return None
    locked = accounts.select_for_update(of=("self",))
    account = locked.first()
    if account is None and sandbox_owner_open(key=owner_key).just_opened:
        account = locked.first()
    return account


def _recorded(
    *, institution: str, request: AuthorizationRequest, lock: bool = True
) -> SandboxAuthorization | None:
    """The answer recorded under the request's reference, or None; it must be the same request."""
    records = SandboxAuthorization.objects.select_related("hold", "transfer")
    if lock:
        records = records.select_for_update(of=("self",))
    record = records.filter(reference=request.reference).first()
    if record is None:
        return None
    asked = (institution, request.amount, request.currency, request.method.type)
    if (record.institution, record.amount, record.currency, record.method_type) != asked:
        raise ConnectorError(
            "reference_reused", "The reference was already used for another authorization."
        )
    return record


def _decided_again(record: SandboxAuthorization, request: AuthorizationRequest) -> bool:
    """A CHALLENGE is decided again once the holder has passed the OTP; any other answer stands."""
    return record.decision == SandboxAuthorization.Decision.CHALLENGE and request.authenticated


def _save_answer(
    answer: SandboxAuthorization, previous: SandboxAuthorization | None
) -> SandboxAuthorization:
    """Insert the answer, or write it over the CHALLENGE it decides again (one query either way)."""
    if previous is None:
        answer.save(force_insert=True)
        return answer
    fields = [
        f.name
        for f in SandboxAuthorization._meta.concrete_fields
        if f.name not in ("id", "reference", "created_at")
    ]
    for name in fields:
        setattr(previous, name, getattr(answer, name))
    previous.save(update_fields=fields)
    return previous


def _answer(
    *,
    institution: str,
    request: AuthorizationRequest,
    decision: str,
    account: SandboxAccount | None = None,
    decline_code: str = "",
    hold: SandboxHold | None = None,
    transfer: SandboxTransfer | None = None,
    challenge_to: str = "",
) -> SandboxAuthorization:
    """The (unsaved) record of this answer; ``_authorize`` saves it."""
    return SandboxAuthorization(
        reference=request.reference,
        institution=institution,
        account=account,
        hold=hold,
        transfer=transfer,
        method_type=request.method.type,
        merchant_id=request.merchant_id[:40],
        merchant_name=request.merchant_name[:200],
        description=request.description[:200],
        amount=request.amount,
        currency=request.currency,
        authenticated=request.authenticated,
        decision=decision,
        decline_code=decline_code,
        message=DECLINE_MESSAGES.get(decline_code, ""),
        challenge_channel="sms" if challenge_to else "",
        challenge_destination=challenge_to,
        challenge_masked_destination=mask_phone(challenge_to) if challenge_to else "",
    )


def _decline(
    code: str,
    *,
    institution: str,
    request: AuthorizationRequest,
    account: SandboxAccount | None,
) -> SandboxAuthorization:
    return _answer(
        institution=institution,
        request=request,
        account=account,
        decision=SandboxAuthorization.Decision.DECLINED,
        decline_code=code,
    )


Keep = Callable[[SandboxHold, "SandboxMovement | None"], None]


def _card(
    *, institution: str, request: AuthorizationRequest, account: SandboxAccount | None
) -> SandboxAuthorization:
    funds = BalanceRow(account=account, request=request) if account is not None else None
    return card_decide(
        institution=institution, request=request, account=account, funds=funds, keep=hold_saved
    )


def card_decide(
    *,
    institution: str,
    request: AuthorizationRequest,
    account: SandboxAccount | None,
    funds: Funds | None,
    keep: Keep,
) -> SandboxAuthorization:
    """The issuer's rules for a card authorization (one place for the single and batch calls):
    ``funds`` checks and takes the money, ``keep`` writes the hold (and a sale's debit)."""
    method = request.method
    if account is None:
        code = "card_not_supported" if luhn_valid(method.card_number) else "incorrect_number"
        return _decline(code, institution=institution, request=request, account=None)
    code = _CARD_STATUS_DECLINES.get(account.status, "")
    if not code and _expired(exp_month=method.exp_month, exp_year=method.exp_year):
        code = "expired_card"
    if not code and account.behaviour == SandboxAccount.Behaviour.CVC_MISMATCH:
        code = "incorrect_cvc"
    if code:
        return _decline(code, institution=institution, request=request, account=account)
    if account.behaviour == SandboxAccount.Behaviour.PROCESSING_ERROR:
        raise ConnectorError("processing_error", "The issuer could not process the request.")
    # "first_payment" is treated like "every_payment": the caller says whether the holder passed
    # the OTP for this payment, and the sandbox keeps no memory of earlier verifications.
    needs_otp = account.verification != SandboxAccount.Verification.NEVER
    return _hold(
        institution=institution,
        request=request,
        account=account,
        needs_otp=needs_otp,
        funds=funds,
        keep=keep,
    )


def _wallet(
    *, institution: str, request: AuthorizationRequest, account: SandboxAccount | None
) -> SandboxAuthorization:
    if account is None:
        return _decline("invalid_account", institution=institution, request=request, account=None)
    if account.status != SandboxAccount.Status.ACTIVE:
        code = (
            "account_closed"
            if account.status == SandboxAccount.Status.CLOSED
            else "account_blocked"
        )
        return _decline(code, institution=institution, request=request, account=account)
    return _hold(
        institution=institution,
        request=request,
        account=account,
        needs_otp=True,
        funds=BalanceRow(account=account, request=request),
        keep=hold_saved,
    )


def _expired(*, exp_month: int, exp_year: int) -> bool:
    if not exp_month or not exp_year:
        return False  # not given: the caller validates format, the issuer knows no expiry
    today = timezone.localdate(now())
    return (exp_year, exp_month) < (today.year, today.month)


def _hold(
    *,
    institution: str,
    request: AuthorizationRequest,
    account: SandboxAccount,
    needs_otp: bool,
    funds: Funds,
    keep: Keep,
) -> SandboxAuthorization:
    """Check funds, ask for the OTP if needed, then hold; the caller holds the account lock."""
    context = {"institution": institution, "request": request, "account": account}
    if request.amount <= 0:
        return _decline("invalid_amount", **context)
    if needs_otp and request.authenticated and not delegation_acceptable(request):
        return _decline("authentication_failed", **context)
    if needs_otp and not request.authenticated:
        # Funds are checked before the OTP so that no code is sent for a payment that cannot pass.
        if funds.available() < request.amount:
            return _decline("insufficient_funds", **context)
        return _answer(
            **context, decision=SandboxAuthorization.Decision.CHALLENGE, challenge_to=account.phone
        )
    sale = bool(request.capture_reference)
    if not funds.take(request.amount, debit=sale):
        return _decline("insufficient_funds", **context)
    record = _held(
        institution=institution, request=request, account_id=account.pk, sale=sale, keep=keep
    )
    record.account = account
    return record


def _held(
    *, institution: str, request: AuthorizationRequest, account_id: int, sale: bool, keep: Keep
) -> SandboxAuthorization:
    """Record the hold (a sale's captured, debited) of funds taken under the account lock."""
    hold = SandboxHold(
        account_id=account_id,
        reference=request.reference,
        institution_reference=new_reference("hold"),
        amount=request.amount,
        currency=request.currency,
    )
    movement = None
    if sale:
        # Authorized and captured at once, under the account lock already held: the debit is
        # recorded under the capture's reference, so a later capture call replays it.
        hold.capture(request.amount)
        movement = SandboxMovement(
            kind=SandboxMovement.Kind.DEBIT,
            account_id=account_id,
            reference=request.capture_reference,
            amount=request.amount,
            currency=request.currency,
        )
    keep(hold, movement)
    approved = SandboxAuthorization.Decision.APPROVED
    record = _answer(institution=institution, request=request, decision=approved, hold=hold)
    record.account_id = account_id
    return record


def _transfer(
    *, institution: str, request: AuthorizationRequest, account: SandboxAccount | None
) -> SandboxAuthorization:
    if request.amount <= 0:
        return _decline("invalid_amount", institution=institution, request=request, account=None)
    ttl = getattr(settings, "PAYMENTS_BANK_TRANSFER_TTL", timedelta(days=3))
    transfer = SandboxTransfer.objects.create(
        reference=request.reference,
        institution_reference=new_reference("tr"),
        transfer_reference=_transfer_reference(),
        bank_name=BANK_NAME,
        account_number="SBX" + "".join(secrets.choice("0123456789") for _ in range(12)),
        amount=request.amount,
        currency=request.currency,
        expires_at=now() + ttl,
    )
    return _answer(
        institution=institution,
        request=request,
        decision=SandboxAuthorization.Decision.PENDING,
        transfer=transfer,
    )


def _transfer_reference() -> str:
    while True:
        code = "".join(secrets.choice(_TRANSFER_ALPHABET) for _ in range(8))
        candidate = f"PAY-{code[:4]}-{code[4:]}"
        if not SandboxTransfer.objects.filter(transfer_reference=candidate).exists():
            return candidate


def authorization_result(*, record: SandboxAuthorization) -> AuthorizationResult:
    """Return the connector's answer for a recorded authorize call.

    A bank transfer's answer follows its virtual account: PENDING while waiting, APPROVED once
    the money arrived, DECLINED when it was closed unpaid or expired.
    """
    if record.transfer_id is not None:
        return _transfer_result(record=record, transfer=record.transfer)
    challenge = None
    if record.challenge_channel:
        challenge = Challenge(
            channel=record.challenge_channel,
            destination=record.challenge_destination,
            masked_destination=record.challenge_masked_destination,
        )
    hold = record.hold
    return AuthorizationResult(
        decision=Decision(record.decision),
        institution_reference=hold.institution_reference if hold else "",
        decline_code=record.decline_code,
        message=record.message,
        challenge=challenge,
        amount=hold.amount if hold else 0,
        captured=hold.amount_captured if hold else 0,
    )


def _transfer_result(
    *, record: SandboxAuthorization, transfer: SandboxTransfer
) -> AuthorizationResult:
    instructions = TransferInstructions(
        bank_name=transfer.bank_name,
        account_number=transfer.account_number,
        reference=transfer.transfer_reference,
        amount=transfer.amount,
        currency=transfer.currency,
        expires_at=transfer.expires_at,
    )
    common = {"institution_reference": transfer.institution_reference, "transfer": instructions}
    status = transfer.status
    if status in (SandboxTransfer.Status.RECEIVED, SandboxTransfer.Status.CAPTURED):
        return AuthorizationResult(decision=Decision.APPROVED, amount=transfer.amount, **common)
    code = ""
    if status == SandboxTransfer.Status.CLOSED:
        code = "transfer_closed"
    elif now() >= transfer.expires_at:
        code = "transfer_expired"
    if code:
        return AuthorizationResult(
            decision=Decision.DECLINED, decline_code=code, message=DECLINE_MESSAGES[code], **common
        )
    return AuthorizationResult(decision=Decision.PENDING, **common)
