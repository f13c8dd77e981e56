"""The sandbox institutions, registered as connectors (see ``institutions.connector``).

Codes: ``sandbox_issuer_visa``, ``sandbox_issuer_mc``, ``sandbox_issuer_amex``,
``sandbox_issuer_other`` (Discover, JCB, UnionPay, Diners) for cards, ``sandbox_wallet`` for the
e-wallet (by phone number) and ``sandbox_transfer`` for bank transfers. Their books live in
``institutions.models``; the published test cards and wallets are in ``institutions.catalogue``.

Bank transfers, sandbox only: ``get_connector("sandbox_transfer").simulate_incoming_transfer(
transfer_reference="PAY-ABCD-2345", amount=1000)`` records the shopper's money arriving and
returns the ``reference`` of the authorize call it paid; ``lookup`` then answers APPROVED.

Fault injection, to test unknown outcomes. ``faults.inject_timeout`` arms a timeout for the next
matching call made inside the ``with`` block (the fault is disarmed when the block exits)::

    from institutions.sandbox import faults

    with faults.inject_timeout(after_acting=False):
        connector.authorize(request)  # raises ConnectorTimeout; nothing held, nothing recorded
    with faults.inject_timeout(after_acting=True):
        connector.authorize(request)  # acts (hold placed, outcome recorded), then raises
    connector.lookup(reference=request.reference)  # the recorded outcome, or None

Options: ``operation`` (``"authorize"`` by default, or ``"capture"``, ``"void"``, ``"refund"``,
``"lookup"``), ``code`` (only that institution; any sandbox one by default) and ``times`` (how
many calls fail, default 1). The context manager yields the armed fault; ``fault.fired`` counts
the calls it failed. The sandbox runs in-process on the caller's database connection: work done
"after acting" is committed only if the caller's own transaction commits.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeVar

from . import selectors, services
from .connector import (
    AuthorizationRequest,
    AuthorizationResult,
    Challenge,
    Connector,
    ConnectorError,
    ConnectorTimeout,
    MethodDetails,
    OperationResult,
    register,
)

T = TypeVar("T")

OPERATIONS = ("authorize", "capture", "void", "refund", "lookup")


@dataclass
class InjectedFault:
    operation: str
    after_acting: bool
    code: str | None = None
    times: int = 1
    fired: int = 0


class SandboxFaults:
    """Faults armed by tests; shared by every sandbox connector of the process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._armed: list[InjectedFault] = []

    @contextmanager
    def inject_timeout(
        self,
        after_acting: bool,
        *,
        operation: str = "authorize",
        code: str | None = None,
        times: int = 1,
    ) -> Iterator[InjectedFault]:
        """Make the next ``times`` matching calls raise ``ConnectorTimeout``.

        ``after_acting=False``: the call raises before doing anything. ``after_acting=True``: the
        call does its work (and records it) and then raises, as if the answer were lost.
        """
        if operation not in OPERATIONS:
            raise ValueError(f"unknown operation {operation!r}; one of {OPERATIONS}")
        fault = InjectedFault(
            operation=operation, after_acting=after_acting, code=code, times=times
        )
        with self._lock:
            self._armed.append(fault)
        try:
            yield fault
        finally:
            with self._lock:
                if fault in self._armed:
                    self._armed.remove(fault)

    def clear(self) -> None:
        """Disarm every fault."""
        with self._lock:
            self._armed.clear()

    def armed(self, *, operation: str, code: str) -> bool:
        """Whether a fault waits for a call of ``operation`` at ``code`` (none is taken)."""
        with self._lock:
            return any(f.operation == operation and f.code in (None, code) for f in self._armed)

    def take(self, *, operation: str, code: str) -> InjectedFault | None:
        """Return the first armed fault matching the call, counting it as fired."""
        with self._lock:
            for fault in self._armed:
                if fault.operation == operation and fault.code in (None, code):
                    fault.fired += 1
                    if fault.fired >= fault.times:
                        self._armed.remove(fault)
                    return fault
        return None


faults = SandboxFaults()


class SandboxConnector(Connector):
    """Shared plumbing: fault injection around every call, lookup of recorded authorizations."""

    def _call(self, operation: str, act: Callable[[], T]) -> T:
        fault = faults.take(operation=operation, code=self.code)
        if fault is not None and not fault.after_acting:
            raise ConnectorTimeout()
        result = act()
        if fault is not None:
            raise ConnectorTimeout()
        return result

    def _check_method(self, request: AuthorizationRequest) -> None:
        if request.livemode:
            # Routing keeps live payments away; this is the institution's own refusal.
            raise ConnectorError(
                "livemode_not_supported", f"{self.display_name} takes test payments only."
            )
        if request.method.type not in self.methods:
            raise ConnectorError(
                "method_not_supported", f"{self.display_name} does not take {request.method.type}."
            )

    def lookup(self, *, reference: str) -> AuthorizationResult | None:
        def act() -> AuthorizationResult | None:
            record = selectors.authorization_get(reference=reference)
            if record is None or record.institution != self.code:
                return None
            return services.authorization_result(record=record)

        return self._call("lookup", act)


class SandboxHoldingConnector(SandboxConnector):
    """An institution that holds funds on an account: a card issuer or the e-wallet."""

    def capture(
        self, *, reference: str, institution_reference: str, amount: int
    ) -> OperationResult:
        return self._call(
            "capture",
            lambda: services.hold_capture(
                institution=self.code,
                reference=reference,
                institution_reference=institution_reference,
                amount=amount,
            ),
        )

    def void(self, *, reference: str, institution_reference: str) -> OperationResult:
        return self._call(
            "void",
            lambda: services.hold_void(
                institution=self.code,
                reference=reference,
                institution_reference=institution_reference,
            ),
        )

    def refund(self, *, reference: str, institution_reference: str, amount: int) -> OperationResult:
        return self._call(
            "refund",
            lambda: services.hold_refund(
                institution=self.code,
                reference=reference,
                institution_reference=institution_reference,
                amount=amount,
            ),
        )


class SandboxCardIssuer(SandboxHoldingConnector):
    """A card issuer; the brands differ only by their code and the cards they issued."""

    methods = ("card",)

    def authorize(self, request: AuthorizationRequest) -> AuthorizationResult:
        self._check_method(request)
        return self._call(
            "authorize",
            lambda: services.authorization_result(
                record=services.authorization_card(institution=self.code, request=request)
            ),
        )

    def authorize_many(
        self, requests: list[AuthorizationRequest]
    ) -> list[AuthorizationResult | ConnectorError]:
        if faults.armed(operation="authorize", code=self.code):
            return super().authorize_many(requests)  # one by one: each call meets the fault
        answers: list[AuthorizationResult | ConnectorError | None] = [None] * len(requests)
        sent = []
        for i, request in enumerate(requests):
            try:
                self._check_method(request)
            except ConnectorError as err:
                answers[i] = err
            else:
                sent.append(i)
        records = services.authorizations_card_many(
            institution=self.code, requests=[requests[i] for i in sent]
        )
        for i, record in zip(sent, records, strict=True):
            answers[i] = (
                record
                if isinstance(record, ConnectorError)
                else services.authorization_result(record=record)
            )
        return answers

    def authentication_required(
        self, *, method: MethodDetails, livemode: bool = False, sandbox_owner: str = ""
    ) -> Challenge | None:
        if livemode:
            raise ConnectorError(
                "livemode_not_supported", f"{self.display_name} takes test payments only."
            )
        return services.card_authentication_required(
            institution=self.code, card_number=method.card_number, owner_key=sandbox_owner
        )


@register
class SandboxVisaIssuer(SandboxCardIssuer):
    code = "sandbox_issuer_visa"
    display_name = "Sandbox Visa issuer"


@register
class SandboxMastercardIssuer(SandboxCardIssuer):
    code = "sandbox_issuer_mc"
    display_name = "Sandbox Mastercard issuer"


@register
class SandboxAmexIssuer(SandboxCardIssuer):
    code = "sandbox_issuer_amex"
    display_name = "Sandbox American Express issuer"


@register
class SandboxOtherIssuer(SandboxCardIssuer):
    code = "sandbox_issuer_other"
    display_name = "Sandbox issuer (Discover, JCB, UnionPay, Diners)"


@register
class SandboxWallet(SandboxHoldingConnector):
    code = "sandbox_wallet"
    display_name = "Sandbox e-wallet"
    methods = ("wallet",)

    def authorize(self, request: AuthorizationRequest) -> AuthorizationResult:
        self._check_method(request)
        return self._call(
            "authorize",
            lambda: services.authorization_result(
                record=services.authorization_wallet(institution=self.code, request=request)
            ),
        )


@register
class SandboxBankTransfer(SandboxConnector):
    code = "sandbox_transfer"
    display_name = "Sandbox bank transfer"
    methods = ("bank_transfer",)

    def authorize(self, request: AuthorizationRequest) -> AuthorizationResult:
        self._check_method(request)
        return self._call(
            "authorize",
            lambda: services.authorization_result(
                record=services.authorization_transfer(institution=self.code, request=request)
            ),
        )

    def capture(
        self, *, reference: str, institution_reference: str, amount: int
    ) -> OperationResult:
        return self._call(
            "capture",
            lambda: services.transfer_capture(
                institution_reference=institution_reference, amount=amount
            ),
        )

    def void(self, *, reference: str, institution_reference: str) -> OperationResult:
        return self._call(
            "void", lambda: services.transfer_void(institution_reference=institution_reference)
        )

    def refund(self, *, reference: str, institution_reference: str, amount: int) -> OperationResult:
        return self._call(
            "refund",
            lambda: services.transfer_refund(
                reference=reference, institution_reference=institution_reference, amount=amount
            ),
        )

    def simulate_incoming_transfer(self, *, transfer_reference: str, amount: int) -> str:
        """Sandbox only: record the shopper's transfer arriving; return the authorize reference.

        Raise ``LookupError`` for an unknown transfer reference and
        ``ConnectorError("amount_mismatch")`` when the amount differs; a repeat changes nothing.
        """
        transfer = services.transfer_receive(transfer_reference=transfer_reference, amount=amount)
        return transfer.reference
