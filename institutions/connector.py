"""The interface every institution is reached through.

``payments`` imports only this module of ``institutions``: it sends typed requests and gets typed
results back. Every call carries the caller's own idempotent ``reference``; calling again with the
same reference never acts twice, and ``lookup`` answers what happened under a reference when a
call's outcome was unknown (timeout, crash).
"""

from __future__ import annotations

import abc
import enum
from dataclasses import dataclass, field
from datetime import datetime


class Decision(enum.StrEnum):
    APPROVED = "approved"  # funds held (or, for a bank transfer, received)
    DECLINED = "declined"
    # The holder must be verified (OTP) before a retry with authenticated=True.
    CHALLENGE = "challenge"
    PENDING = "pending"  # bank transfer: waiting for the shopper's transfer


@dataclass(frozen=True)
class MethodDetails:
    """Payment method data for one authorization. Never persisted or logged as a whole."""

    type: str  # "card" | "wallet" | "bank_transfer"
    card_number: str = ""
    exp_month: int = 0
    exp_year: int = 0
    cvc: str = field(default="", repr=False)
    holder_name: str = ""
    wallet_phone: str = ""

    def __repr__(self) -> str:  # keep PAN and CVC out of tracebacks and logs
        return f"MethodDetails(type={self.type!r})"


@dataclass(frozen=True)
class DelegatedAuthentication:
    """How the PSP verified the holder for the institution (delegated authentication): by an
    OTP code the institution sent, or by a passkey the holder registered at the checkout."""

    method: str  # "otp" | "passkey"
    credential_id: str = ""  # the passkey's id (base64url), for "passkey"
    authenticated_at: datetime | None = None


@dataclass(frozen=True)
class AuthorizationRequest:
    reference: str  # our idempotent reference for this call (one per attempt)
    amount: int  # minor units
    currency: str  # ISO 4217
    currency_exponent: int
    method: MethodDetails
    livemode: bool = False
    authenticated: bool = False  # the holder passed the OTP challenge for this payment
    # Set with ``authenticated``: which verification the holder passed, and when.
    delegated: DelegatedAuthentication | None = None
    # The merchant charges a card saved with the holder's consent, without the holder (a
    # renewal): no CVC comes with it.
    merchant_initiated: bool = False
    description: str = ""  # the order: the merchant's reference, as the holder's statement shows it
    # The card acceptor: who is paid, as the institution records (and the holder sees) it.
    merchant_id: str = ""
    merchant_name: str = ""
    # Whose sandbox accounts a sandbox institution uses: an opaque key (payments passes the
    # merchant's public id); "" is the shared sandbox. Institutions that move real money ignore it.
    sandbox_owner: str = ""
    # Set: capture the whole amount with the authorization (a sale), under this reference, as a
    # later ``capture`` would; the approval says so in ``captured``. One call instead of two,
    # and the institution's books are touched once.
    capture_reference: str = ""


@dataclass(frozen=True)
class Challenge:
    channel: str  # "sms" | "email"
    destination: str  # full phone/e-mail, for the outbox; shown masked only
    masked_destination: str


@dataclass(frozen=True)
class TransferInstructions:
    bank_name: str
    account_number: str
    reference: str
    amount: int
    currency: str
    expires_at: datetime


@dataclass(frozen=True)
class AuthorizationResult:
    decision: Decision
    institution_reference: str = ""  # the institution's id for the hold / transfer
    decline_code: str = ""
    message: str = ""
    challenge: Challenge | None = None
    transfer: TransferInstructions | None = None
    amount: int = 0  # amount held / received
    captured: int = 0  # amount captured with the authorization (``capture_reference``)


@dataclass(frozen=True)
class OperationResult:
    """Outcome of capture, void and refund."""

    succeeded: bool
    institution_reference: str = ""
    amount: int = 0
    failure_code: str = ""
    message: str = ""


class ConnectorError(Exception):
    """The institution failed to act; nothing was done (safe to retry)."""

    def __init__(self, code: str = "processing_error", message: str = "") -> None:
        super().__init__(message or code)
        self.code = code
        self.message = message or code


class ConnectorTimeout(ConnectorError):
    """No answer in time: the institution may or may not have acted. Use ``lookup``."""

    def __init__(self, message: str = "institution did not answer in time") -> None:
        super().__init__("timeout", message)


class Connector(abc.ABC):
    code: str = ""  # institution code, e.g. "sandbox_bank"
    display_name: str = ""
    methods: tuple[str, ...] = ()
    # Whether the institution moves real money, i.e. may take live payments. False unless a
    # connector says so: a sandbox institution must never capture a live payment.
    live: bool = False

    @abc.abstractmethod
    def authorize(self, request: AuthorizationRequest) -> AuthorizationResult:
        """Hold the amount (card, wallet) or open a transfer (bank transfer)."""

    def authorize_many(
        self, requests: list[AuthorizationRequest]
    ) -> list[AuthorizationResult | ConnectorError]:
        """Authorize each request (merchant-initiated charges sent as one batch, as acquirers
        take recurring ones); return each answer, or the ``ConnectorError`` it raised, in order.
        A timeout of the batch raises ``ConnectorTimeout``: ask ``lookup`` for each reference.
        Institutions without a batch call answer one by one (this default)."""
        answers: list[AuthorizationResult | ConnectorError] = []
        for request in requests:
            try:
                answers.append(self.authorize(request))
            except ConnectorTimeout:
                raise
            except ConnectorError as err:
                answers.append(err)
        return answers

    @abc.abstractmethod
    def capture(
        self, *, reference: str, institution_reference: str, amount: int
    ) -> OperationResult:
        """Turn (part of) a hold into a debit; the rest of the hold is released."""

    @abc.abstractmethod
    def void(self, *, reference: str, institution_reference: str) -> OperationResult:
        """Release a hold (or close a pending transfer) without moving money."""

    @abc.abstractmethod
    def refund(self, *, reference: str, institution_reference: str, amount: int) -> OperationResult:
        """Credit the holder back for a captured amount."""

    @abc.abstractmethod
    def lookup(self, *, reference: str) -> AuthorizationResult | None:
        """Return the outcome of the authorize call made under ``reference``; None if none arrived."""

    def authentication_required(
        self, *, method: MethodDetails, livemode: bool = False, sandbox_owner: str = ""
    ) -> Challenge | None:
        """Whether the issuer wants the holder verified (OTP) before the card is kept for later
        charges, and where the code goes; None when it does not. Like a 3-D Secure enrolment
        check: nothing is held or charged, and the account's standing is not asked (a card
        reported lost is saved, and declined when charged). Institutions that ask nothing keep
        this default."""
        return None


@dataclass(frozen=True)
class SandboxResetResult:
    accounts: int  # the owner's sandbox accounts, back at their published funds
    holds_released: int


def sandbox_reset(*, owner: str) -> SandboxResetResult:
    """Bring the sandbox accounts of ``owner`` back to their published funds, releasing holds."""
    from .services import sandbox_reset as reset

    done = reset(key=owner)
    return SandboxResetResult(accounts=done.accounts, holds_released=done.holds_released)


@dataclass(frozen=True)
class SandboxTestAccount:
    """A published sandbox test account, as a checkout lists it for test-mode shoppers."""

    kind: str  # "card" | "wallet"
    number: str  # the PAN of a card, the phone number of a wallet
    label: str  # what it does: "Visa credit, approved", "Wallet, balance 0"...


def sandbox_test_accounts() -> tuple[SandboxTestAccount, ...]:
    """Return every published sandbox card and wallet, in the catalogue's order."""
    from .catalogue import SEED_ACCOUNTS

    return tuple(
        SandboxTestAccount(kind=a.kind, number=a.pan or a.phone, label=a.label)
        for a in SEED_ACCOUNTS
    )


_REGISTRY: dict[str, type[Connector]] = {}


def register(cls: type[Connector]) -> type[Connector]:
    _REGISTRY[cls.code] = cls
    return cls


def get_connector(code: str) -> Connector:
    """Return the connector for an institution code (sandbox ones register on import)."""
    from . import sandbox  # noqa: F401  registers the sandbox institutions

    try:
        return _REGISTRY[code]()
    except KeyError:
        raise LookupError(f"no connector for institution {code!r}") from None
