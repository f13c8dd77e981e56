"""A stand-in for a real bank in tests: it takes live payments, and keeps its books in the
sandbox Visa issuer's (so balances, OTP and refunds behave as the sandbox's do)."""

from __future__ import annotations

from dataclasses import replace

from institutions.connector import (
    AuthorizationRequest,
    AuthorizationResult,
    Connector,
    OperationResult,
    get_connector,
    register,
)

LIVE_TEST_ISSUER = "test_live_issuer"


@register
class LiveTestIssuer(Connector):
    code = LIVE_TEST_ISSUER
    display_name = "Live test issuer"
    methods = ("card",)
    live = True

    @staticmethod
    def _books() -> Connector:
        return get_connector("sandbox_issuer_visa")

    def authorize(self, request: AuthorizationRequest) -> AuthorizationResult:
        return self._books().authorize(replace(request, livemode=False))

    def capture(
        self, *, reference: str, institution_reference: str, amount: int
    ) -> OperationResult:
        return self._books().capture(
            reference=reference, institution_reference=institution_reference, amount=amount
        )

    def void(self, *, reference: str, institution_reference: str) -> OperationResult:
        return self._books().void(reference=reference, institution_reference=institution_reference)

    def refund(self, *, reference: str, institution_reference: str, amount: int) -> OperationResult:
        return self._books().refund(
            reference=reference, institution_reference=institution_reference, amount=amount
        )

    def lookup(self, *, reference: str) -> AuthorizationResult | None:
        return self._books().lookup(reference=reference)
