"""The errors of FX: each carries a stable code, the input field it concerns and a safe message.

``fx`` imports no app above it, so these are its own; ``payments`` answers them as its
``ValidationFailed`` (``payments.services.fx``).
"""

from __future__ import annotations


class FxError(Exception):
    code = "fx_error"
    field: str | None = None

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field if field is not None else type(self).field
        self.code = code or type(self).code


class RateUnavailable(FxError):
    """No fixing of the pair on or before the instant asked."""

    code = "rate_unavailable"


class QuoteExpired(FxError):
    """The quote's locked rate ran out before the payment and the merchant refuses then."""

    code = "quote_expired"
    field = "fx_quote"


class QuoteInvalid(FxError):
    """The quote does not exist for this merchant and mode, or does not fit the order."""

    code = "invalid_quote"
    field = "fx_quote"


class CurrencyNotAccepted(FxError):
    code = "currency_not_accepted"
    field = "currency"
