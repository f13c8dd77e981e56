"""Figure 3: settlement of 1,000,000 captured payments across 100 merchants, then one more day.

``bench.settlement_seed.payments_bulk_insert`` loads the payments (captured the day before
cut-off 1), then ``manage.py run_settlement --cutoff <day 1>`` runs as a child process: its wall
time and peak RSS (``wait4`` rusage of that child alone) are the figure. An incremental day adds
30,000 payments before cut-off 2 and settles again. Baselines: plain SQL through psql on the
same tables in the same run, one ``INSERT ... SELECT ... GROUP BY`` into a batches table (with
the same half-even fee per payment) and then either one ``UPDATE ... FROM`` marking each payment
with its batch (the brief's shape) or one ``INSERT ... SELECT`` of a line per payment (the
product's shape). They run after the product (the UPDATE rewrites every payment row, which would
bloat the table the product reads); their totals are checked against the product's batches.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from datetime import UTC, datetime, timedelta

from bench import procs as p
from bench.context import Bench, Skip
from bench.report import Figure, Goal
from payments.money import fixed_fee_default

PAYMENTS = 1_000_000
MERCHANTS = 100
INCREMENTAL = 30_000
SPREAD = 80_000  # seconds before the cut-off the captures are spread over (< one day)
CAPTURED = ("captured", "partially_refunded", "refunded")


def run_measured(cmd: list[str], env: dict, timeout: float) -> dict:
    """Run ``cmd`` as a child; return wall seconds, its peak RSS (MiB) and output."""
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=p.ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                proc.kill()
                os.wait4(proc.pid, 0)
                raise RuntimeError(f"{' '.join(cmd[1:3])} did not finish within {timeout:.0f}s")
            time.sleep(0.05)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        output = out.read().decode(errors="replace")
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[1:])} exited {proc.returncode}:\n{output[-2000:]}")
    return {"seconds": wall, "max_rss_mb": usage.ru_maxrss / 1024, "output_tail": output[-300:]}


def _fee(amount: str) -> str:
    product = f"({amount} * m.fee_bps::bigint)"
    return (
        f"({product} / 10000 + CASE WHEN {product} % 10000 > 5000 THEN 1"
        f" WHEN {product} % 10000 = 5000 THEN ({product} / 10000) % 2 ELSE 0 END"
        f" + {fixed_fee_default('USD')})"  # the bench's payments are in USD
    )


SQL_SETUP = """
ALTER TABLE payments_payment ADD COLUMN bench_batch_id bigint;
CREATE TABLE bench_batch (id bigserial PRIMARY KEY, merchant_id bigint, currency varchar(3),
  livemode boolean, cutoff timestamptz, kind text, payment_count bigint, gross bigint,
  fees bigint, net bigint);
CREATE TABLE bench_line (id bigserial PRIMARY KEY, batch_id bigint NOT NULL,
  payment_id bigint UNIQUE, amount bigint, fee bigint, net bigint, occurred_at timestamptz);
CREATE INDEX ON bench_line (batch_id);
"""


def plain_sql(cutoff: datetime, *, kind: str) -> str:
    """Return a baseline script settling every captured payment before ``cutoff``.

    ``update``: the brief's shape, batches by ``GROUP BY`` then every payment row marked by
    ``UPDATE ... FROM`` (PostgreSQL rewrites each row and, the pages being full, adds an entry to
    each of the table's indexes). ``lines``: the product's own shape, batches by ``GROUP BY`` then
    one line per payment by ``INSERT ... SELECT`` guarded by ``NOT EXISTS`` (settled at most
    once), into a table with the same keys as ``settlement_settlementline``.
    """
    at = cutoff.isoformat()
    statuses = ", ".join(f"'{s}'" for s in CAPTURED)
    where = f"p.status IN ({statuses}) AND p.captured_at < '{at}'"
    if kind == "update":
        where += " AND p.bench_batch_id IS NULL"
    else:
        where += " AND NOT EXISTS (SELECT 1 FROM bench_line l WHERE l.payment_id = p.id)"
    fee = _fee("p.amount_captured")
    mark = (
        f"""UPDATE payments_payment p SET bench_batch_id = b.id FROM bench_batch b
WHERE b.merchant_id = p.merchant_id AND b.currency = p.currency AND b.livemode = p.livemode
  AND b.cutoff = '{at}' AND b.kind = '{kind}' AND {where};"""
        if kind == "update"
        else f"""INSERT INTO bench_line (batch_id, payment_id, amount, fee, net, occurred_at)
SELECT b.id, p.id, p.amount_captured, {fee}, p.amount_captured - {fee}, p.captured_at
FROM payments_payment p JOIN payments_merchant m ON m.id = p.merchant_id
JOIN bench_batch b ON b.merchant_id = p.merchant_id AND b.currency = p.currency
  AND b.livemode = p.livemode AND b.cutoff = '{at}' AND b.kind = '{kind}'
WHERE {where};"""
    )
    return f"""
BEGIN;
INSERT INTO bench_batch (merchant_id, currency, livemode, cutoff, kind, payment_count, gross,
  fees, net)
SELECT p.merchant_id, p.currency, p.livemode, '{at}', '{kind}', count(*), sum(p.amount_captured),
       sum({fee}), sum(p.amount_captured - {fee})
FROM payments_payment p JOIN payments_merchant m ON m.id = p.merchant_id
WHERE {where}
GROUP BY p.merchant_id, p.currency, p.livemode;
{mark}
COMMIT;
SELECT count(*), coalesce(sum(payment_count), 0), coalesce(sum(gross), 0), coalesce(sum(fees), 0)
FROM bench_batch WHERE cutoff = '{at}' AND kind = '{kind}';
"""


def _timed_psql(b: Bench, db: str, script: str) -> tuple[float, list[int]]:
    start = time.perf_counter()
    out = b.pg.psql_file(db, script, timeout=300)
    seconds = time.perf_counter() - start
    return seconds, [int(x) for x in out.splitlines()[-1].split("|")]


def run(b: Bench, *, template: str) -> None:
    if b.pg is None or b.redis is None:
        raise Skip("needs PostgreSQL (and Redis for the production profile)")
    b.need(150, "settlement figure")
    db = b.db("settle")
    b.pg.create(db, template=template)
    env = b.env(db, SETTLEMENT_CUTOFF_TIME="00:00")
    today = datetime.now(UTC).date()
    day1, day2 = today - timedelta(days=2), today - timedelta(days=1)
    cut1, cut2 = (datetime.combine(d, datetime.min.time(), tzinfo=UTC) for d in (day1, day2))
    manage = [p.PY, "manage.py", "run_settlement", "--cutoff"]
    try:
        seed = b.django(
            env, "settle-seed", payments=PAYMENTS, merchants=MERCHANTS,
            captured_before=(cut1 - timedelta(seconds=60)).isoformat(), spread_seconds=SPREAD,
            timeout=max(60, b.remaining() - 60),
        )  # fmt: skip
        print(f"  loaded {PAYMENTS:,} captured payments in {seed['seed_s']:.0f}s", flush=True)
        b.pg.psql(db, "VACUUM ANALYZE", timeout=300)
        b.need(60, "run_settlement of 1,000,000 payments")
        full = run_measured([*manage, day1.isoformat()], env, timeout=max(30, b.remaining() - 40))
        print(
            f"  run_settlement: {full['seconds']:.1f}s, peak RSS {full['max_rss_mb']:.0f} MB",
            flush=True,
        )
        seed2 = b.django(
            env, "settle-seed", payments=INCREMENTAL, merchants=MERCHANTS,
            captured_before=(cut2 - timedelta(seconds=60)).isoformat(), spread_seconds=SPREAD,
        )  # fmt: skip
        incr = run_measured([*manage, day2.isoformat()], env, timeout=max(30, b.remaining() - 30))
        check = b.django(env, "settle-check", cutoffs=[cut1.isoformat(), cut2.isoformat()])
        b.need(60, "plain SQL settlement baselines")
        b.pg.psql_file(db, SQL_SETUP)
        # The product's shape first: it leaves the payments table as the product saw it.
        sql = {}
        for kind in ("lines", "update"):
            for label, cutoff in (("full", cut1), ("incremental", cut2)):
                sql[kind, label] = _timed_psql(b, db, plain_sql(cutoff, kind=kind))
    finally:
        b.pg.drop(db)

    print(
        "  plain SQL: "
        + ", ".join(f"{kind} {label} {v[0]:.1f}s" for (kind, label), v in sql.items())
        + f"; incremental run_settlement {incr['seconds']:.1f}s",
        flush=True,
    )
    product1 = check[cut1.isoformat()]
    totals = {
        f"{kind} {label}": dict(zip(("batches", "payments", "gross", "fees"), v[1], strict=True))
        for (kind, label), v in sql.items()
    }
    agree = all(
        (product1["payments"], product1["gross"]) == tuple(sql[kind, "full"][1][1:3])
        for kind in ("lines", "update")
    )
    details = {
        "payments": PAYMENTS,
        "merchants": MERCHANTS,
        "load_s (settlement_seed.payments_bulk_insert)": seed["seed_s"],
        "incremental_load_s": seed2["seed_s"],
        "product_batches": check,
        "plain_sql_seconds": {f"{k} {label}": round(v[0], 3) for (k, label), v in sql.items()},
        "plain_sql_batches": totals,
        "totals_agree_with_plain_sql": agree,
        "command": "manage.py run_settlement --cutoff DAY (child process, wall time incl. start-up)",
        "output_tail": full["output_tail"],
    }
    b.add(
        Figure(
            "settlement: 1M payments, 100 merchants",
            full["seconds"],
            "s",
            "plain SQL: INSERT..GROUP BY + UPDATE payments..FROM",
            sql["update", "full"][0],
            goal=Goal("ratio_max", 2),
            details=details,
        )
    )
    b.add(
        Figure(
            "settlement: 1M payments vs product-shaped SQL",
            full["seconds"],
            "s",
            "plain SQL: INSERT..GROUP BY + INSERT lines..SELECT",
            sql["lines", "full"][0],
            goal=Goal("ratio_max", 2),
        )
    )
    b.add(
        Figure(
            "settlement: peak RSS of run_settlement",
            full["max_rss_mb"],
            "MB",
            goal=Goal("max", 300),
        )
    )
    b.add(
        Figure(
            "settlement: incremental day (+30k payments)",
            incr["seconds"],
            "s",
            "plain SQL: INSERT..GROUP BY + INSERT lines..SELECT",
            sql["lines", "incremental"][0],
            goal=Goal("ratio_max", 2),
            details={
                "max_rss_mb": round(incr["max_rss_mb"], 1),
                "plain_sql_update_shape_s": round(sql["update", "incremental"][0], 3),
                "output_tail": incr["output_tail"],
            },
        )
    )
    if not agree:
        b.skip("settlement totals check", f"product {product1} != plain SQL {totals}")
