"""The payments' metrics (see ``backoffice.metrics``): recorded by the services."""

from __future__ import annotations

from backoffice.metrics import counter

AUTHORIZATIONS = counter(
    "payments_total",
    "Institution answers applied to payments, by method, institution and the payment's status "
    "after it (captured, authorized, declined, requires_action, processing: outcome unknown).",
    ["method", "institution", "outcome"],
)
DECLINES = counter(
    "payments_declines_total",
    "Declined payments by method, institution and decline code.",
    ["method", "institution", "code"],
)
OTP_VERIFICATIONS = counter(
    "payments_otp_verifications_total",
    "Verification codes checked, by result (passed, wrong, expired, throttled, declined: the "
    "last allowed wrong code, order_expired).",
    ["result"],
)
REFUNDS = counter(
    "payments_refunds_total",
    "Refunds answered by the institution, by outcome (succeeded, failed).",
    ["outcome"],
)


def payment_outcome(payment) -> None:
    """Count the payment's state after an institution's answer (and its decline code)."""
    labels = {"method": payment.method_type, "institution": payment.institution or "none"}
    AUTHORIZATIONS.inc(outcome=payment.status, **labels)
    if payment.status == "declined":
        DECLINES.inc(code=payment.decline_code or "unknown", **labels)


PASSKEY_VERIFICATIONS = counter(
    "payments_passkey_verifications_total",
    "Shoppers' passkey answers checked at the checkout, by result (passed, refused, declined: "
    "a counter gone backwards or another origin, locked: the order's or card's cap).",
    ["result"],
)
