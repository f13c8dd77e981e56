"""Sandbox institutions: a small card issuer, an e-wallet and a bank-transfer bank.

They are not mocks. Each keeps its own books in this app's tables: accounts (cards by
fingerprint and last four, wallets by phone number) with a status, a verification policy and
funds per currency (created on first use as ``funds_major * 10**exponent``); holds placed by
``authorize``, turned into debits by ``capture``, released by ``void`` and credited back by
``refund``; virtual bank accounts waiting for a transfer. Declines therefore follow from the
account's status and its available funds::

    available = opening funds − active holds − captured debits + refunds credited

Every authorize call is recorded under the caller's ``reference`` so that repeating it never
holds twice and ``lookup`` can answer a caller whose call timed out. A CHALLENGE answer is the
one exception: repeated with ``authenticated=True`` under the same reference, the call is decided
again (the holder has since passed the OTP).

Money-moving functions lock the account row (then the hold) with ``select_for_update`` inside
``transaction.atomic``, so concurrent authorizations cannot overspend. The connectors in
``institutions.sandbox`` are the only callers outside this app's tests; ``payments`` reaches them
through ``institutions.connector.get_connector``.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from . import selectors
from .cards import card_fingerprint, luhn_valid, mask_phone
from .catalogue import SEED_ACCOUNTS
from .connector import (
    AuthorizationRequest,
    AuthorizationResult,
    Challenge,
    ConnectorError,
    Decision,
    OperationResult,
    TransferInstructions,
)
from .models import (
    SandboxAccount,
    SandboxAuthorization,
    SandboxBalance,
    SandboxHold,
    SandboxMovement,
    SandboxTransfer,
)

logger = logging.getLogger(__name__)

BANK_NAME = "Sandbox Bank"
_TRANSFER_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read out over the phone

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
_CARD_STATUS_DECLINES = {
    SandboxAccount.Status.BLOCKED: "card_declined",
    SandboxAccount.Status.EXPIRED: "expired_card",
    SandboxAccount.Status.LOST: "lost_card",
    SandboxAccount.Status.STOLEN: "stolen_card",
    SandboxAccount.Status.CLOSED: "account_closed",
}


def _now() -> datetime:
    """The clock; a seam for tests."""
    return timezone.now()


def _new_reference(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(12)}"


# --- accounts -----------------------------------------------------------------------------------


def sandbox_accounts_seed() -> int:
    """Create the published test accounts that are missing; return how many were created.

    The seed migration does the same; this is for databases emptied by a flush (e.g. tests with
    ``transaction=True``).
    """
    created = 0
    for seed in SEED_ACCOUNTS:
        if seed.kind == SandboxAccount.Kind.CARD:
            lookup = {"fingerprint": card_fingerprint(seed.pan)}
        else:
            lookup = {"kind": seed.kind, "phone": seed.phone}
        _, was_created = SandboxAccount.objects.get_or_create(
            **lookup,
            defaults={
                "institution": seed.institution,
                "kind": seed.kind,
                "label": seed.label,
                "brand": seed.brand,
                "card_type": seed.card_type,
                "last4": seed.pan[-4:],
                "phone": seed.phone,
                "status": seed.status,
                "verification": seed.verification,
                "behaviour": seed.behaviour,
                "funds_major": seed.funds_major,
            },
        )
        created += was_created
    return created


def balance_get_or_create(
    *, account: SandboxAccount, currency: str, currency_exponent: int
) -> SandboxBalance:
    """Return the account's funds in ``currency``, opened at ``funds_major * 10**exponent``."""
    balance, _ = SandboxBalance.objects.get_or_create(
        account=account,
        currency=currency,
        defaults={
            "currency_exponent": currency_exponent,
            "opening_amount": account.funds_major * 10**currency_exponent,
        },
    )
    return balance


# --- authorize ----------------------------------------------------------------------------------

Decide = Callable[..., SandboxAuthorization]


def authorization_card(*, institution: str, request: AuthorizationRequest) -> SandboxAuthorization:
    """Decide a card authorization at issuer ``institution`` and record it under its reference.

    Raise ``ConnectorError("processing_error")`` for an issuer that fails; nothing is recorded.
    """
    accounts = selectors.accounts_for_card(
        institution=institution, card_number=request.method.card_number
    )
    return _authorize(institution=institution, request=request, accounts=accounts, decide=_card)


def authorization_wallet(
    *, institution: str, request: AuthorizationRequest
) -> SandboxAuthorization:
    """Decide a wallet payment: the holder approves every one by OTP (CHALLENGE until then)."""
    accounts = selectors.accounts_for_wallet(
        institution=institution, phone=request.method.wallet_phone
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
) -> SandboxAuthorization:
    try:
        with transaction.atomic():
            # Found and locked in one query. The lock serialises every authorization of this
            # account: funds are checked and held under it, so two calls cannot both spend them.
            account = accounts.select_for_update().first() if accounts is not None else None
            # Only a call after the holder's OTP can find an answer to decide again. Any other
            # call is decided and inserted straight away: if its reference was answered before
            # (a retry), the INSERT fails, this block rolls back, and the recorded answer stands.
            previous = (
                _recorded(institution=institution, request=request)
                if request.authenticated
                else None
            )
            if previous is not None and not _decided_again(previous, request):
                return previous
            record = _save_answer(
                decide(institution=institution, request=request, account=account), previous
            )
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


def _card(
    *, institution: str, request: AuthorizationRequest, account: SandboxAccount | None
) -> SandboxAuthorization:
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
    return _hold(institution=institution, request=request, account=account, needs_otp=needs_otp)


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
    return _hold(institution=institution, request=request, account=account, needs_otp=True)


def _expired(*, exp_month: int, exp_year: int) -> bool:
    if not exp_month or not exp_year:
        return False  # not given: the caller validates format, the issuer knows no expiry
    today = timezone.localdate(_now())
    return (exp_year, exp_month) < (today.year, today.month)


def _hold(
    *,
    institution: str,
    request: AuthorizationRequest,
    account: SandboxAccount,
    needs_otp: bool,
) -> SandboxAuthorization:
    """Check funds, ask for the OTP if needed, then hold; the caller holds the account lock."""
    context = {"institution": institution, "request": request, "account": account}
    if request.amount <= 0:
        return _decline("invalid_amount", **context)
    if needs_otp and not request.authenticated:
        # Funds are checked before the OTP so that no code is sent for a payment that cannot pass.
        balance = balance_get_or_create(
            account=account, currency=request.currency, currency_exponent=request.currency_exponent
        )
        if selectors.account_available_amount(balance=balance) < request.amount:
            return _decline("insufficient_funds", **context)
        return _answer(
            **context, decision=SandboxAuthorization.Decision.CHALLENGE, challenge_to=account.phone
        )
    if not _funds_hold(account=account, currency=request.currency, amount=request.amount):
        # Not enough funds, or no balance row yet in this currency: open it and try once more.
        balance_get_or_create(
            account=account, currency=request.currency, currency_exponent=request.currency_exponent
        )
        if not _funds_hold(account=account, currency=request.currency, amount=request.amount):
            return _decline("insufficient_funds", **context)
    hold = SandboxHold.objects.create(
        account=account,
        reference=request.reference,
        institution_reference=_new_reference("hold"),
        amount=request.amount,
        currency=request.currency,
    )
    return _answer(**context, decision=SandboxAuthorization.Decision.APPROVED, hold=hold)


def _funds_hold(*, account: SandboxAccount, currency: str, amount: int) -> bool:
    """Add ``amount`` to the held total if the available funds cover it (one UPDATE).

    False when they don't, or when the account has no balance row in ``currency`` yet.
    """
    covered = Q(opening_amount__gte=F("held") + F("debited") - F("refunded") + amount)
    return (
        SandboxBalance.objects.filter(covered, account=account, currency=currency).update(
            held=F("held") + amount
        )
        == 1
    )


def _transfer(
    *, institution: str, request: AuthorizationRequest, account: SandboxAccount | None
) -> SandboxAuthorization:
    if request.amount <= 0:
        return _decline("invalid_amount", institution=institution, request=request, account=None)
    ttl = getattr(settings, "PAYMENTS_BANK_TRANSFER_TTL", timedelta(days=3))
    transfer = SandboxTransfer.objects.create(
        reference=request.reference,
        institution_reference=_new_reference("tr"),
        transfer_reference=_transfer_reference(),
        bank_name=BANK_NAME,
        account_number="SBX" + "".join(secrets.choice("0123456789") for _ in range(12)),
        amount=request.amount,
        currency=request.currency,
        expires_at=_now() + ttl,
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
    elif _now() >= transfer.expires_at:
        code = "transfer_expired"
    if code:
        return AuthorizationResult(
            decision=Decision.DECLINED, decline_code=code, message=DECLINE_MESSAGES[code], **common
        )
    return AuthorizationResult(decision=Decision.PENDING, **common)


# --- holds: capture, void, refund ---------------------------------------------------------------

# Capture, void and refund run inside the caller's transaction when there is one (payments calls
# them under its row locks), without a savepoint of their own: none of their callers goes on
# after one of them raises, so the whole transaction rolls back, and two round trips are saved.


def _failed(code: str, message: str, institution_reference: str = "") -> OperationResult:
    return OperationResult(
        succeeded=False,
        institution_reference=institution_reference,
        failure_code=code,
        message=message,
    )


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
    if changed != 1:  # every hold is made after its balance row (``_hold``)
        raise LookupError(f"No balance row for hold {hold.institution_reference}.")


def _replayed(
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
        return _failed("reference_reused", "The reference was already used for another operation.")
    return OperationResult(
        succeeded=True, institution_reference=target.institution_reference, amount=done.amount
    )


@transaction.atomic(savepoint=False)
def hold_capture(
    *, institution: str, reference: str, institution_reference: str, amount: int
) -> OperationResult:
    """Debit ``amount`` (at most the hold) and release the rest; repeat-safe by ``reference``."""
    hold = _locked_hold(institution=institution, institution_reference=institution_reference)
    if hold is None:
        return _failed("not_found", "No such hold.", institution_reference)
    replayed = _replayed(kind=SandboxMovement.Kind.DEBIT, reference=reference, hold=hold)
    if replayed is not None:
        return replayed
    if hold.status != SandboxHold.Status.ACTIVE:
        return _failed("hold_not_active", f"The hold is {hold.status}.", institution_reference)
    if not 0 < amount <= hold.amount:
        return _failed("invalid_amount", "The capture exceeds the hold.", institution_reference)
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
        return _failed("not_found", "No such hold.", institution_reference)
    if hold.status == SandboxHold.Status.ACTIVE:
        hold.void()
        hold.save()
        _balance_change(hold=hold, held=-hold.amount)
    elif hold.status != SandboxHold.Status.VOIDED:
        return _failed("hold_not_active", f"The hold is {hold.status}.", institution_reference)
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
        return _failed("not_found", "No such hold.", institution_reference)
    replayed = _replayed(kind=SandboxMovement.Kind.REFUND, reference=reference, hold=hold)
    if replayed is not None:
        return replayed
    if hold.status != SandboxHold.Status.CAPTURED:
        return _failed("not_captured", "Nothing was captured.", institution_reference)
    if not 0 < amount <= hold.amount_captured - hold.amount_refunded:
        return _failed(
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


# --- bank transfers -----------------------------------------------------------------------------


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
    if _now() >= transfer.expires_at:
        raise ConnectorError("transfer_expired", DECLINE_MESSAGES["transfer_expired"])
    if amount != transfer.amount:
        raise ConnectorError("amount_mismatch", "The amount received differs from the amount due.")
    transfer.receive(_now())
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
        return _failed("not_found", "No such transfer.", institution_reference)
    status = transfer.status
    if status == SandboxTransfer.Status.CAPTURED:
        return OperationResult(
            succeeded=True,
            institution_reference=institution_reference,
            amount=transfer.amount_captured,
        )
    if status != SandboxTransfer.Status.RECEIVED:
        code = "transfer_closed" if status == SandboxTransfer.Status.CLOSED else "not_received"
        return _failed(code, "The transfer has not been received.", institution_reference)
    if not 0 < amount <= transfer.amount:
        return _failed("invalid_amount", "The capture exceeds the transfer.", institution_reference)
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
        return _failed("not_found", "No such transfer.", institution_reference)
    if transfer.status == SandboxTransfer.Status.AWAITING:
        transfer.close()
        transfer.save()
    elif transfer.status != SandboxTransfer.Status.CLOSED:
        return _failed(
            "transfer_received", "The money has arrived: refund it instead.", institution_reference
        )
    return OperationResult(succeeded=True, institution_reference=institution_reference)


@transaction.atomic(savepoint=False)
def transfer_refund(*, reference: str, institution_reference: str, amount: int) -> OperationResult:
    """Send received money back, never more than captured (or received, if not captured)."""
    transfer = _locked_transfer(institution_reference=institution_reference)
    if transfer is None:
        return _failed("not_found", "No such transfer.", institution_reference)
    replayed = _replayed(
        kind=SandboxMovement.Kind.TRANSFER_REFUND, reference=reference, transfer=transfer
    )
    if replayed is not None:
        return replayed
    if transfer.status not in (SandboxTransfer.Status.RECEIVED, SandboxTransfer.Status.CAPTURED):
        return _failed("not_received", "The transfer has not been received.", institution_reference)
    if not 0 < amount <= transfer.refundable_amount:
        return _failed(
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
