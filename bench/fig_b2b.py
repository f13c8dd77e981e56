"""Figure 7: bulk charges: validating a batch of N rows, then charging its N items.

``bench.b2b_side`` seeds N customers with a saved 4242 card (bulk inserts); ``charge_batch_create``
validates N rows, 3 of which it must refuse (an unknown card, a bad currency, a duplicate
reference), and stores the accepted items (timed: seconds; nothing charged); then the batch of
the N good items is made and started, and two worker
processes run ``charge_batch_run`` on it at once (``SKIP LOCKED`` claims share the items; each
item is an order and a merchant-initiated saved-card payment). Figures: validation seconds,
items charged per second, and double charges (an order with two payments, an order charged for
two items), which must be 0; ``check_invariants`` runs after. Baseline: the same saved-card
charge made directly through ``payments`` (order + payment), one process, in the same run.

``BENCH_B2B_ITEMS`` (default 1,000) sets N; the issue's full size is 10,000
(``BENCH_B2B_ITEMS=10000 bench/run.py --only b2b --budget 3600``).
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor

from bench.context import Bench, Skip
from bench.report import Figure, Goal

WORKERS = 2
BASELINE_CHARGES = 300


def _items() -> int:
    return int(os.environ.get("BENCH_B2B_ITEMS", "1000"))


def run(b: Bench, *, template: str) -> None:
    if b.pg is None or b.redis is None:
        raise Skip("needs PostgreSQL (and Redis for the production profile)")
    count = _items()
    # About 15 items/s with two workers on two idle cores, plus the seed and the baseline.
    b.need(90 + count / 15, f"b2b figure ({count:,} items)")
    db = b.db("b2b")
    b.pg.create(db, template=template)
    env = b.env(db)
    try:
        seeded = b.django(env, "b2b-seed", customers=count, timeout=max(60, b.remaining()))
        print(f"  seeded {count:,} customers with saved cards in {seeded['seed_s']:.1f}s")
        made = b.django(env, "b2b-create", merchant=seeded["merchant"], timeout=600)
        print(
            f"  validated {made['rows']:,} rows ({made['rejected']} refused) in "
            f"{made['validate_s']:.2f}s; {made['items']:,} items to charge",
            flush=True,
        )
        start_at = time.time() + 3  # both workers start together
        with ThreadPoolExecutor(WORKERS) as pool:
            runs = list(
                pool.map(
                    lambda _: b.django(
                        env,
                        "b2b-run",
                        batch=made["batch"],
                        start_at=start_at,
                        timeout=max(60, b.remaining() - 30),
                    ),  # fmt: skip
                    range(WORKERS),
                )
            )
        seconds = max(r["finished_at"] for r in runs) - start_at
        check = b.django(env, "b2b-check", batch=made["batch"])
        invariants = b.manage(env, "check_invariants", timeout=600)
        base = b.django(env, "billing-baseline", charges=BASELINE_CHARGES)
    finally:
        b.pg.drop(db)
    charged = sum(r["done"] for r in runs)
    rate = charged / seconds if seconds else None
    base_rate = base["charges"] / base["seconds"]
    print(
        f"  {charged:,} items in {seconds:.1f}s ({rate:.1f}/s, baseline {base_rate:.1f}/s), "
        f"double charges {check['double_charges']}",
        flush=True,
    )
    details = {
        "items": count,
        "workers": WORKERS,
        "seed_s": round(seeded["seed_s"], 2),
        "rows": made["rows"],
        "rejected": made["rejected"],
        "create_good_batch_s": round(made["create_s"], 2),
        "per_worker": [{"done": r["done"], "s": round(r["seconds"], 2)} for r in runs],
        "check": check,
        "check_invariants": invariants.strip().splitlines()[-1:] if invariants else [],
    }
    b.add(
        Figure(
            f"b2b: validate a {made['rows']:,}-row charge batch",
            made["validate_s"],
            "s",
            details=details,
        )
    )
    b.add(
        Figure(
            f"b2b: charge batch items/s ({WORKERS} workers)",
            rate,
            "items/s",
            "saved-card charge via payments alone, 1 process",
            base_rate,
            "charges/s",
            # Reported, no goal: an item also claims its row, records its order's link and its
            # outcome, which the baseline's bare payment does not.
        )
    )
    b.add(Figure("b2b: double charges", check["double_charges"], "", goal=Goal("equal", 0)))
