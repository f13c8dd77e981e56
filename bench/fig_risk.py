"""Figure 7: what 50 active risk rules add to a payment's risk evaluation, at p95.

Runs in one Django process on its own scratch database (production profile, no HTTP): the
screening of a payment (``risk.services.screening.payment_screen``) of a merchant with 50 active
CEL rules, beside the same screening of a merchant with none, samples alternating
(``bench/risk_side.py``).
"""

from __future__ import annotations

from bench.context import Bench, Skip
from bench.report import Figure, Goal

RULES = 50
SAMPLES = 1500


def run(b: Bench, *, template: str) -> None:
    if b.pg is None or b.redis is None:
        raise Skip("needs PostgreSQL and Redis (production profile)")
    b.need(240, "risk evaluation figure")
    db = b.db("risk")
    b.pg.create(db, template=template)
    try:
        r = b.django(b.env(db), "risk-eval", timeout=600, samples=SAMPLES, rules=RULES, seconds=150)
    finally:
        b.redis.flush()
        b.pg.drop(db)
    added = r["rules_p95_ms"] - r["none_p95_ms"]
    print(
        f"  risk evaluation p95: {r['rules_p95_ms']:.2f} ms with {RULES} rules, "
        f"{r['none_p95_ms']:.2f} ms with none (adds {added:.2f} ms); process CPU p95 "
        f"{r['rules_cpu_p95_ms']:.2f} vs {r['none_cpu_p95_ms']:.2f} ms",
        flush=True,
    )
    b.add(
        Figure(
            f"risk: {RULES} active rules, added to the evaluation at p95",
            added,
            "ms",
            "the same evaluation with 0 rules (p95)",
            r["none_p95_ms"],
            goal=Goal("max", 5),
            details={
                key: round(value, 3) if isinstance(value, float) else value
                for key, value in r.items()
            },
        )
    )
