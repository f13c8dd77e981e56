"""Figure 5: OTP verification and PAN validation, each beside a trivial baseline.

Runs in one Django process on its own scratch database (production profile, no HTTP).
"""

from __future__ import annotations

from bench.context import Bench, Skip
from bench.report import Figure

OTP_PAYMENTS = 400


def run(b: Bench, *, template: str) -> None:
    if b.pg is None or b.redis is None:
        raise Skip("needs PostgreSQL and Redis (production profile)")
    b.need(40, "OTP and validation figures")
    db = b.db("micro")
    b.pg.create(db, template=template)
    try:
        r = b.django(b.env(db), "micro", otp_payments=OTP_PAYMENTS, seconds=1.5)
    finally:
        b.redis.flush()
        b.pg.drop(db)
    print(
        f"  otp_verify {r['otp_verify_per_s']:.0f}/s, code check {r['otp_code_check_per_s']:.0f}/s, "
        f"validate_card {r['validate_card_per_s']:.0f}/s",
        flush=True,
    )
    b.add(
        Figure(
            "OTP: otp_verify, full service",
            r["otp_verify_per_s"],
            "verifications/s",
            "hmac.compare_digest loop",
            r["compare_digest_per_s"],
            baseline_unit="compares/s",
            details={
                "payments": r["otp_verify_count"],
                "includes": "lock, code check, resumed authorization, capture, ledger, events",
                "preparing payments (payment_create, requires_action) per s": round(
                    r["otp_payment_create_per_s"], 1
                ),
            },
        )
    )
    b.add(
        Figure(
            "OTP: code check (HMAC-SHA256 + constant-time compare)",
            r["otp_code_check_per_s"],
            "checks/s",
            "hmac.compare_digest loop",
            r["compare_digest_per_s"],
            baseline_unit="compares/s",
        )
    )
    b.add(
        Figure(
            "validation: validate_card",
            r["validate_card_per_s"],
            "cards/s",
            "luhn_valid alone",
            r["luhn_per_s"],
            baseline_unit="checks/s",
        )
    )
