"""Every problem ``code`` the merchant API can answer, with what it means and what to do.

The errors guide (``/docs/errors/``) is generated from this list, and
``tests/developers/test_problem_codes.py`` compares it with the codes the code raises (the
domain errors' classes, the codes passed where they are raised, and the API's exception
handler), so a new code cannot ship undocumented.
"""

from __future__ import annotations

from typing import NamedTuple


class ProblemCode(NamedTuple):
    code: str
    status: int
    meaning: str
    action: str


PROBLEM_CODES: tuple[ProblemCode, ...] = (
    # --- the request itself -------------------------------------------------------------------
    ProblemCode(
        "validation_failed",
        400,
        "A field, a query parameter or a header is invalid; `errors` lists each one as "
        "`{field, code, message}`.",
        "Fix the named fields and send again. Retrying unchanged gets the same answer.",
    ),
    ProblemCode(
        "malformed_request",
        400,
        "The body is not valid JSON.",
        "Send a JSON object with `Content-Type: application/json`.",
    ),
    ProblemCode(
        "amount_invalid",
        400,
        "The amount is not a positive whole number of minor units within the method's limits.",
        "Send the amount in minor units (1000 = 10.00 EUR) within the limits.",
    ),
    ProblemCode(
        "refund_amount_invalid",
        400,
        "The refund is 0 or more than what is left to refund of the captured amount.",
        "Refund at most the captured amount less earlier refunds (omit `amount` for all of it).",
    ),
    ProblemCode(
        "payload_too_large",
        413,
        "The body is larger than the upload limit.",
        "Send fewer items per request.",
    ),
    ProblemCode(
        "unsupported_media_type",
        415,
        "The body is not JSON.",
        "Send `Content-Type: application/json`.",
    ),
    ProblemCode(
        "not_acceptable",
        406,
        "The `Accept` header (or `?format=`) asks for something other than JSON.",
        "Accept `application/json`.",
    ),
    ProblemCode(
        "method_not_allowed",
        405,
        "The path exists but does not take this HTTP method.",
        "Check the method in the API reference.",
    ),
    # --- who is asking ------------------------------------------------------------------------
    ProblemCode(
        "authentication_required",
        401,
        "No API key was sent.",
        "Send `Authorization: Bearer sk_test_...` (or `sk_live_...`).",
    ),
    ProblemCode(
        "invalid_api_key",
        401,
        "The API key is unknown, malformed or revoked.",
        "Use an active key from the back office; keys are shown once when created.",
    ),
    ProblemCode(
        "signature_required",
        401,
        "The merchant requires signed money-moving requests (payouts, refunds, bulk charges, "
        "signing keys) and this one has no `Signature-Input`/`Signature`.",
        "Sign the request (RFC 9421) with a registered key: see the README's signed requests.",
    ),
    ProblemCode(
        "signature_invalid",
        401,
        "The signature is malformed, names no active signing key of this mode, or does not "
        "verify over the request as received; `errors[0].field` names the header.",
        "Sign exactly the method, path, Content-Digest and Idempotency-Key you send, with the "
        "private key of the `keyid` named.",
    ),
    ProblemCode(
        "signature_incomplete",
        401,
        "The signature lacks `created` or `keyid`, or does not cover `@method`, `@path`, "
        "`content-digest` and `idempotency-key`, or one of those headers is not sent.",
        "Cover the four components and send both headers.",
    ),
    ProblemCode(
        "signature_expired",
        401,
        "The signature's `created` is more than 5 minutes old, or in the future.",
        "Sign each request when sending it; keep your clock in sync.",
    ),
    ProblemCode(
        "signature_replayed",
        401,
        "This exact signature was accepted before.",
        "Sign every request (and every retry) anew; a `nonce` parameter makes two signatures "
        "of one second differ.",
    ),
    ProblemCode(
        "content_digest_mismatch",
        401,
        "The body does not match the signed `Content-Digest`.",
        "Compute the digest over the exact body bytes you send, then sign.",
    ),
    ProblemCode(
        "forbidden",
        403,
        "The key may not do this.",
        "Use a key of the merchant and mode the object belongs to.",
    ),
    ProblemCode(
        "sandbox_test_mode_only",
        403,
        "A sandbox operation was called with a live key.",
        "Use a test key (`sk_test_`) for the sandbox.",
    ),
    ProblemCode(
        "approver_is_preparer",
        403,
        "The person who prepared a payout batch cannot also approve it.",
        "Have a second person approve the batch.",
    ),
    ProblemCode(
        "rate_limited",
        429,
        "Too many requests with this API key.",
        "Wait for `Retry-After` seconds, then retry with backoff.",
    ),
    # --- the object ---------------------------------------------------------------------------
    ProblemCode(
        "resource_missing",
        404,
        "No such object (or path) for this key's merchant and mode.",
        "Check the id and that the key's mode (test or live) matches the object's.",
    ),
    ProblemCode(
        "rate_unavailable",
        404,
        "No reference exchange rate is known for the currencies at that time.",
        "Ask for a later time or another currency pair.",
    ),
    ProblemCode(
        "signing_key_exists",
        409,
        "This public key is already registered (and not revoked) for the merchant and mode.",
        "Use the registered key's id, or revoke it first.",
    ),
    ProblemCode(
        "invalid_state",
        409,
        "The object's current state does not allow this (e.g. capturing a canceled payment).",
        "Read the object again and act on its current `status`.",
    ),
    ProblemCode(
        "payment_in_progress",
        409,
        "The order already has a payment in progress or completed.",
        "Wait for the payment's outcome (webhook or GET) before starting another.",
    ),
    ProblemCode(
        "order_not_payable",
        409,
        "The order is paid, canceled or expired.",
        "Create a new order to take a new payment.",
    ),
    ProblemCode(
        "endpoint_disabled",
        409,
        "The webhook endpoint is disabled, so nothing is redelivered to it.",
        "Enable the endpoint (PATCH `enabled: true`) and redeliver.",
    ),
    ProblemCode(
        "quota_exceeded",
        409,
        "The merchant has as many of these objects as it may have.",
        "Delete ones no longer used.",
    ),
    ProblemCode(
        "endpoint_limit_reached",
        409,
        "The merchant has 16 webhook endpoints in this mode already.",
        "Delete an endpoint or subscribe an existing one to more event types.",
    ),
    ProblemCode(
        "insufficient_balance",
        409,
        "The balance available for payouts is less than the batch.",
        "Pay out less, or wait for the next settlement.",
    ),
    ProblemCode(
        "payment_disputed",
        409,
        "The payment has an open or lost dispute: its money is already held for the dispute.",
        "Respond to the dispute (evidence or accept) instead; a won dispute can be refunded.",
    ),
    ProblemCode(
        "no_live_institution",
        422,
        "No institution takes this payment method in live mode yet; nothing was charged.",
        "Offer another method, or use a test key to reach the sandbox.",
    ),
    # --- idempotency --------------------------------------------------------------------------
    ProblemCode(
        "idempotency_conflict",
        409,
        "A request with this `Idempotency-Key` is still being processed.",
        "Retry the same request shortly: it then gets the first answer.",
    ),
    ProblemCode(
        "idempotency_key_reused",
        422,
        "This `Idempotency-Key` was used with a different method, path or body.",
        "Use a new key for a new request; reuse a key only to retry the same request.",
    ),
    # --- one-time passwords -------------------------------------------------------------------
    ProblemCode(
        "otp_invalid",
        400,
        "The verification code is wrong; `attempts_remaining` says how many tries are left.",
        "Ask the holder for the code again; after the last try the payment is declined.",
    ),
    ProblemCode(
        "otp_expired",
        400,
        "The verification code has expired.",
        "Request a new code (`POST .../otp/resend`).",
    ),
    ProblemCode(
        "authentication_failed",
        400,
        "Too many wrong codes: the verification failed.",
        "Start again with a new payment (or a new card verification).",
    ),
    ProblemCode(
        "otp_throttled",
        429,
        "Wrong codes in a row: the next try must wait.",
        "Wait for `Retry-After` seconds before the next code.",
    ),
    ProblemCode(
        "otp_resend_not_allowed",
        429,
        "A new code cannot be sent yet (or no more codes may be sent).",
        "Wait for `Retry-After` seconds, or use the code already sent.",
    ),
    # --- our side -----------------------------------------------------------------------------
    ProblemCode(
        "processing_error",
        502,
        "The institution could not process the request; nothing was charged.",
        "Retry with the same `Idempotency-Key` after a short wait.",
    ),
    ProblemCode(
        "temporarily_unavailable",
        503,
        "The service was too busy and did nothing.",
        "Send the same request again after `Retry-After` seconds.",
    ),
    ProblemCode(
        "internal_error",
        500,
        "Something went wrong on our side; nothing more was done.",
        "Retry later with the same `Idempotency-Key`; give support the `X-Request-Id`.",
    ),
)


def problem_codes_table() -> str:
    """Return the codes as a Markdown table: code, HTTP status, meaning, what to do."""
    rows = ["| code | status | meaning | what to do |", "|---|---|---|---|"]
    rows += [
        f"| `{p.code}` | {p.status} | {p.meaning} | {p.action} |"
        for p in sorted(PROBLEM_CODES, key=lambda p: p.code)
    ]
    return "\n".join(rows)
