"""Figure 6: the billing engine: N monthly subscriptions on a test clock advanced 13 months by
two worker processes at once.

``bench.billing_side`` seeds the subscriptions (bulk inserts: customer, a saved card out of the
sandbox's eight approved test cards, first period paid), then two processes run the clock's
advance together (``SKIP LOCKED`` shares the due rows; each charge is an order whose reference is
the attempt's key). Figures: wall seconds, charges per second, and double charges (a period
invoiced twice, an invoice paid by two attempts, an order captured twice), which must be 0;
``check_invariants`` runs after. Baseline: the same saved-card charge made directly through
``payments`` (order + payment) in one process.

``BENCH_BILLING_SUBSCRIPTIONS`` (default 10,000: 130,000 charges) sets N. The engine renews by
batches (``BILLING_RENEWAL_BATCH``, 100): a batch's invoices, attempts, orders, payments, risk
screening, issuer answers, ledger entries and events are written by a few statements each
(``billing.services.batch_open`` / ``batch_apply``, ``payments.services.recurring``), so a
renewal costs well under a statement of its own and its time is Python building rows: about
100-150 charges/s with two workers on two idle cores, some 15-20 minutes for the full size.
The baseline is the one-by-one charge (order + payment through ``payments`` alone).
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor

from bench.context import Bench, Skip
from bench.report import Figure, Goal

MONTHS = 13
UNTIL = "2027-02-28T10:00:00+00:00"  # 13 months after the clock's 31 January 2026
WORKERS = 2
BASELINE_CHARGES = 300


def _subscriptions() -> int:
    return int(os.environ.get("BENCH_BILLING_SUBSCRIPTIONS", "10000"))


def run(b: Bench, *, template: str) -> None:
    if b.pg is None or b.redis is None:
        raise Skip("needs PostgreSQL (and Redis for the production profile)")
    count = _subscriptions()
    # About 100 charges/s or more with two workers on two idle cores, plus the seed and checks.
    b.need(180 + count * MONTHS / 100, f"billing figure ({count:,} subscriptions)")
    db = b.db("billing")
    b.pg.create(db, template=template)
    env = b.env(db)
    try:
        seeded = b.django(env, "billing-seed", subscriptions=count, timeout=max(60, b.remaining()))
        print(f"  seeded {count:,} subscriptions in {seeded['seed_s']:.1f}s", flush=True)
        start_at = time.time() + 3  # both workers start together
        with b.pg.statistics_kept(db) as analyzed, ThreadPoolExecutor(WORKERS) as pool:
            runs = list(
                pool.map(
                    lambda _: b.django(
                        env,
                        "billing-advance",
                        clock=seeded["clock"],
                        until=UNTIL,
                        start_at=start_at,
                        timeout=max(60, b.remaining() - 30),
                    ),  # fmt: skip
                    range(WORKERS),
                )
            )
        seconds = max(r["finished_at"] for r in runs) - start_at
        check = b.django(env, "billing-check", clock=seeded["clock"])
        invariants = b.manage(env, "check_invariants", timeout=300)
        base = b.django(env, "billing-baseline", charges=BASELINE_CHARGES)
    finally:
        b.pg.drop(db)
    charges = sum(check["attempts"].values())
    rate = charges / seconds if seconds else None
    base_rate = base["charges"] / base["seconds"]
    print(
        f"  {charges:,} charges in {seconds:.1f}s ({rate:.0f}/s, baseline {base_rate:.0f}/s), "
        f"double charges {check['double_charges']}",
        flush=True,
    )
    details = {
        "subscriptions": count,
        "months": MONTHS,
        "workers": WORKERS,
        "seed_s": round(seeded["seed_s"], 2),
        # The server runs without autovacuum: the bench ran ANALYZE every 15 s in its stead.
        "analyze_every_15s": analyzed,
        "per_worker_s": [round(r["seconds"], 2) for r in runs],
        "check": check,
        "check_invariants": invariants.strip().splitlines()[-1:] if invariants else [],
    }
    b.add(Figure(f"billing: {count:,} subs × {MONTHS} months", seconds, "s", details=details))
    b.add(
        Figure(
            "billing: charges/s (2 workers)",
            rate,
            "charges/s",
            "saved-card charge via payments alone, 1 process",
            base_rate,
            "charges/s",
            # Reported, no goal: a renewal also opens and numbers an invoice, records its
            # events and e-mails, which the baseline's bare payment does not.
        )
    )
    b.add(Figure("billing: double charges", check["double_charges"], "", goal=Goal("equal", 0)))
