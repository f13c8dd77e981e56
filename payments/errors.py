"""Domain errors: each carries a stable ``code`` and a ``message`` safe to show to a user.

The API maps them once (``payments/api/exceptions.py``), the checkout renders their text, the
admin shows them with ``message_user``.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import OperationalError

from .validation import FieldError

# PostgreSQL's statement timeout and lock timeout: the database gave up waiting, nothing was done.
_BUSY_SQLSTATES = frozenset({"57014", "55P03"})

#: Seconds a client is asked to wait after the database was too busy to answer.
BUSY_RETRY_AFTER = 2


def database_busy(exc: BaseException) -> bool:
    """Return True if ``exc`` means the database was too busy (a timeout or a held lock).

    The transaction rolled back, so the request may be sent again: answered 503 with
    ``Retry-After``, not 500.
    """
    if not isinstance(exc, OperationalError):
        return False
    cause = exc.__cause__
    if getattr(cause, "sqlstate", None) in _BUSY_SQLSTATES:
        return True
    return "database is locked" in str(exc)  # SQLite's busy timeout ran out


class DomainError(Exception):
    code = "domain_error"
    http_status = 400
    title = "Request could not be completed"

    def __init__(self, message: str = "", *, code: str | None = None) -> None:
        self.message = message or self.title
        if code:
            self.code = code
        super().__init__(self.message)


class ValidationFailed(DomainError):
    code = "validation_failed"
    http_status = 400
    title = "Invalid request"

    def __init__(self, errors: Sequence[FieldError], message: str = "") -> None:
        self.errors = list(errors)
        first = self.errors[0].message if self.errors else ""
        super().__init__(message or first or self.title)


class NotFound(DomainError):
    code = "resource_missing"
    http_status = 404
    title = "Not found"


class InvalidTransition(DomainError):
    code = "invalid_state"
    http_status = 409
    title = "Not allowed in the current state"


class PaymentDisputed(InvalidTransition):
    """A refund of a payment whose money a dispute holds (``payments.screening`` refund guards)."""

    code = "payment_disputed"
    title = "The payment is disputed"
    field = "payment"


class QuotaExceeded(DomainError):
    """A merchant has as many of something as it may have (``code`` names which)."""

    code = "quota_exceeded"
    http_status = 409
    title = "A limit was reached"


class PaymentInProgress(InvalidTransition):
    code = "payment_in_progress"
    title = "This order already has a payment in progress or completed"


class OrderNotPayable(InvalidTransition):
    code = "order_not_payable"
    title = "This order can no longer be paid"


class NoLiveInstitution(DomainError):
    """No institution that moves real money is configured for this method (live mode)."""

    code = "no_live_institution"
    http_status = 422
    title = "Live payments need a configured institution"

    def __init__(self, method_type: str) -> None:
        super().__init__(
            "Live payments need a configured institution, and none takes "
            f"{method_type.replace('_', ' ')} payments in live mode yet. Nothing was charged; "
            "test keys (sk_test_) reach the sandbox."
        )


class SandboxTestModeOnly(DomainError):
    code = "sandbox_test_mode_only"
    http_status = 403
    title = "The sandbox is for test mode only"

    def __init__(self) -> None:
        super().__init__(
            "The sandbox can only be reset with a test API key (sk_test_); live mode has no "
            "sandbox accounts."
        )


class AmountInvalid(DomainError):
    code = "amount_invalid"
    http_status = 400
    title = "Invalid amount"
    field = "amount"  # the input at fault, named in the API's ``errors``


class RefundAmountInvalid(AmountInvalid):
    code = "refund_amount_invalid"

    def __init__(self, *, amount: int, refundable: int) -> None:
        self.amount, self.refundable = amount, refundable
        super().__init__(
            f"A refund must be more than 0 and at most the refundable amount ({refundable})."
        )


class OtpError(DomainError):
    code = "otp_invalid"
    http_status = 400
    title = "The verification code was not accepted"


class OtpThrottled(OtpError):
    """Wrong codes in a row: the next try must wait (``retry_after`` seconds)."""

    code = "otp_throttled"
    http_status = 429
    title = "Too many tries in a row"

    def __init__(self, message: str = "", *, retry_after: int = 1) -> None:
        self.retry_after = retry_after
        super().__init__(message)


class OtpResendNotAllowed(DomainError):
    code = "otp_resend_not_allowed"
    http_status = 429
    title = "A new code cannot be sent yet"

    def __init__(self, message: str = "", *, retry_after: int | None = None) -> None:
        self.retry_after = retry_after
        super().__init__(message)


class IdempotencyConflict(DomainError):
    code = "idempotency_conflict"
    http_status = 409
    title = "A request with this Idempotency-Key is still being processed"


class IdempotencyMismatch(DomainError):
    code = "idempotency_key_reused"
    http_status = 422
    title = "This Idempotency-Key was used with a different request"


class AuthenticationFailed(DomainError):
    code = "invalid_api_key"
    http_status = 401
    title = "Invalid API key"


class InstitutionUnavailable(DomainError):
    code = "processing_error"
    http_status = 502
    title = "The institution could not process the request; nothing was charged"
