"""Figures 1 and 2: the payments API and the hosted checkout page, through gunicorn over HTTP.

One gunicorn (2 sync workers, production profile) serves the product and the baseline views on
one scratch database; pgbench runs on another before the server starts, so the two never share
the two cores.
"""

from __future__ import annotations

import os
import re
import subprocess
import threading
import time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx
import psycopg

from bench import procs as p
from bench.context import Bench, Skip
from bench.report import Figure, Goal

CLIENTS = 16
WORKERS = 2
CARD = {
    "number": "4242424242424242",
    "exp_month": 12,
    "exp_year": 2035,
    "cvc": "123",
    "holder_name": "Ada Lovelace",
}


def pgbench_tps(b: Bench, *, clients: int, seconds: int) -> dict:
    """Run pgbench's built-in TPC-B-like script on a fresh scratch database; return tps."""
    db = b.db("pgbench")
    b.pg.create(db)
    try:
        init = subprocess.run(
            ["pgbench", "-i", "-q", db], env=b.pg.env(), capture_output=True, text=True, timeout=120
        )
        if init.returncode != 0:
            raise RuntimeError(f"pgbench -i failed: {init.stderr[-1000:]}")
        done = subprocess.run(
            ["pgbench", "-c", str(clients), "-T", str(seconds), db],
            env=b.pg.env(), capture_output=True, text=True, timeout=seconds + 60,
        )  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(f"pgbench failed: {done.stderr[-1000:]}")
        tps = re.search(r"tps = ([\d.]+)", done.stdout)
        latency = re.search(r"latency average = ([\d.]+) ms", done.stdout)
        failed = re.search(r"number of failed transactions: (\d+)", done.stdout)
        return {
            "tps": float(tps.group(1)),
            "latency_avg_ms": float(latency.group(1)) if latency else None,
            "failed": int(failed.group(1)) if failed else 0,
            "scale": 1,
            "clients": clients,
            "seconds": seconds,
        }
    finally:
        b.pg.drop(db)


def _spec(
    b: Bench, base: str, *, duration: float, steps: list, concurrency: int = CLIENTS, **extra
):
    return {
        "base": base,
        "client": b.client,
        "concurrency": concurrency,
        "warmup": 2,
        "duration": duration,
        "steps": steps,
        **extra,
    }


MINIMAL_STEPS = [
    {
        "name": "minimal insert",
        "method": "POST",
        "path": "/bench/minimal",
        "json": {"reference": "bench-$unique", "amount": 1000, "currency": "USD"},
        "expect": [201],
    }
]

PAYMENT_STEPS = [
    {
        "name": "create order",
        "method": "POST",
        "path": "/api/v1/orders",
        "headers": {"Authorization": "Bearer $key", "Idempotency-Key": "$unique"},
        "json": {"amount": 1000, "currency": "USD", "reference": "bench-$unique"},
        "expect": [201],
        "save": {"order_id": "id"},
    },
    {
        "name": "pay (4242, automatic capture)",
        "method": "POST",
        "path": "/api/v1/orders/$order_id/payments",
        "headers": {"Authorization": "Bearer $key", "Idempotency-Key": "$unique"},
        "json": {"payment_method": {"type": "card", "card": CARD}},
        "expect": [201],
        "check": {"status": "captured"},
    },
]


ONE_CALL_STEPS = [
    {
        "name": "pay in one call (automatic capture)",
        "method": "POST",
        "path": "/api/v1/payments",
        "headers": {"Authorization": "Bearer $key", "Idempotency-Key": "$unique"},
        "json": {
            "amount": 1000,
            "currency": "USD",
            "reference": "bench-$unique",
            "payment_method": {"type": "card", "card": {**CARD, "number": "$card"}},
        },
        "expect": [201],
        "check": {"payment.status": "captured"},
    }
]
# The sandbox's approved cards of different accounts (the scale figure's "8 cards").
EIGHT_CARDS = [
    "4242424242424242",
    "5555555555554444",
    "2223003122003222",
    "6011111111111117",
    "3566002020360505",
    "6200000000000005",
    "3056930009020004",
    "4008260000000004",
]
SCALE_CLIENTS = 8


def _get_steps(name: str, path: str) -> list:
    return [{"name": name, "method": "GET", "path": path, "expect": [200]}]


class _Assets(HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "link" and "stylesheet" in (attrs.get("rel") or "").split() and attrs.get("href"):
            self.urls.append(attrs["href"])
        elif tag == "script" and attrs.get("src"):
            self.urls.append(attrs["src"])


def page_weight(base: str, path: str) -> dict:
    """Fetch a page and every same-origin stylesheet and script it references; return sizes."""
    origin = urlsplit(base).netloc
    sizes: dict[str, dict] = {}
    with httpx.Client(base_url=base, timeout=10) as client:

        def fetch(url: str) -> str:
            # Bytes on the wire as a browser would ask (gzip), and the decoded size.
            raw = client.get(url, headers={"Accept-Encoding": "gzip"})
            raw.raise_for_status()
            sizes[url] = {"bytes": len(raw.content), "wire_bytes": _wire(raw)}
            return raw.text

        html = fetch(path)
        parser = _Assets()
        parser.feed(html)
        for ref in parser.urls:
            url = urljoin(base + path, ref)
            if urlsplit(url).netloc == origin:
                fetch(urlsplit(url).path)
            else:
                sizes[url] = {"third_party": True}
    total = sum(s.get("bytes", 0) for s in sizes.values())
    wire = sum(s.get("wire_bytes", 0) for s in sizes.values())
    return {"total_bytes": total, "wire_bytes": wire, "files": sizes}


def _wire(response: httpx.Response) -> int:
    """Return the size of the body as sent (compressed when the server compressed it)."""
    length = response.headers.get("content-length")
    if length is not None:
        return int(length)
    return response.num_bytes_downloaded


def run(b: Bench, *, template: str) -> None:
    if b.pg is None or b.redis is None:
        raise Skip("needs PostgreSQL and Redis (production profile)")
    b.need(100, "payments API and checkout figures")
    pg = pgbench_tps(b, clients=CLIENTS, seconds=10)
    print(f"  pgbench TPC-B-like, 16 clients: {pg['tps']:.0f} tps", flush=True)

    db = b.db("http")
    b.pg.create(db, template=template)
    port = p.free_port()
    base = f"http://127.0.0.1:{port}"
    env = b.env(db, SITE_URL=base)
    setup = b.django(env, "setup-http", clients=CLIENTS, orders=200)
    b.redis.flush()
    p.gunicorn(b.procs, name="gunicorn", env=env, port=port, workers=WORKERS)
    try:
        _api(b, base, setup, pg, env=env, db=db)
        _checkout(b, base, setup)
        if b.profile:
            _profile(b, base, setup)
    finally:
        b.procs.stop("gunicorn")
        b.redis.flush()  # events queued tasks on commit; no worker consumed them


def _api(b: Bench, base: str, setup: dict, pg: dict, *, env: dict, db: str) -> None:
    minimal = p.loadgen(_spec(b, base, duration=10, steps=MINIMAL_STEPS))
    print(f"  minimal endpoint: {minimal['requests_per_s']:.0f} req/s", flush=True)
    flow = p.loadgen(_spec(b, base, duration=20, steps=PAYMENT_STEPS, api_keys=setup["api_keys"]))
    print(
        f"  payment flow: {flow['flows_per_s']:.0f} payments/s, "
        f"{flow['requests_per_s']:.0f} req/s, {flow['errors']} errors",
        flush=True,
    )
    b.notes["load_generator"] = flow["client"]
    base_name = "minimal DRF insert endpoint"
    details = {
        "payment_flow": flow,
        "minimal_endpoint": minimal,
        "pgbench": pg,
        "setup": "gunicorn 2 sync workers, DJANGO_ENV=production, PostgreSQL, Redis cache+broker",
    }
    b.add(
        Figure(
            "API: payment-flow requests/s",
            flow["requests_per_s"],
            "req/s",
            base_name,
            minimal["requests_per_s"],
            goal=Goal("ratio_min", 0.5),
            details=details,
        )
    )
    b.add(
        Figure(
            "API: complete payments/s",
            flow["flows_per_s"],
            "payments/s",
            base_name,
            minimal["requests_per_s"],
            baseline_unit="req/s",
            goal=Goal("ratio_min", 0.25),
        )
    )
    b.add(
        Figure(
            "API: complete payments/s vs pgbench",
            flow["flows_per_s"],
            "payments/s",
            "pgbench TPC-B-like (-c 16, scale 1)",
            pg["tps"],
            baseline_unit="tps",
        )
    )
    b.add(
        Figure(
            "API: request latency p50",
            flow["request_latency"]["p50_ms"],
            "ms",
            base_name,
            minimal["request_latency"]["p50_ms"],
        )
    )
    b.add(
        Figure(
            "API: request latency p99",
            flow["request_latency"]["p99_ms"],
            "ms",
            base_name,
            minimal["request_latency"]["p99_ms"],
            goal=Goal("max", 100),
        )
    )
    b.add(
        Figure(
            "API: errors",
            flow["errors"],
            "errors",
            base_name,
            minimal["errors"],
            goal=Goal("equal", 0),
            details={"samples": flow["error_samples"]},
        )
    )
    _one_call(b, base, setup, minimal, flow, env=env, db=db)


def _server_cpu_s(b: Bench) -> float:
    """CPU seconds (user + system) the gunicorn workers have used so far."""
    total = 0
    for pid in p.children_pids(b.procs.procs["gunicorn"].pid):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (clock ticks)
    return total / os.sysconf("SC_CLK_TCK")


def _measured(b: Bench, spec: dict) -> tuple[dict, float]:
    """Run the load generator; return its result and the server CPU ms per flow it spent."""
    cpu0 = _server_cpu_s(b)
    result = p.loadgen(spec)
    cpu = _server_cpu_s(b) - cpu0
    # CPU counts the warm-up and the drain too: per flow, over every flow answered in the run.
    flows = max(1, round(result["flows_per_s"] * result["elapsed_s"]))
    return result, round(cpu * 1000 / flows, 2)


def _one_call(
    b: Bench, base: str, setup: dict, minimal: dict, two_call: dict, *, env: dict, db: str
) -> None:
    """Pay in one call: closed-loop maximum, open-loop latency at half of it, CPU and round
    trips per payment; the same for the two-call flow; then one card against eight."""
    keys = setup["api_keys"]
    one, one_cpu = _measured(
        b, _spec(b, base, duration=15, steps=ONE_CALL_STEPS, api_keys=keys, cards=[CARD["number"]])
    )
    _, two_cpu = _measured(b, _spec(b, base, duration=10, steps=PAYMENT_STEPS, api_keys=keys))
    open_one = p.loadgen(
        _spec(b, base, duration=15, steps=ONE_CALL_STEPS, api_keys=keys,
              cards=[CARD["number"]], open_rate=max(1.0, one["flows_per_s"] / 2))
    )  # fmt: skip
    open_two = p.loadgen(
        _spec(b, base, duration=15, steps=PAYMENT_STEPS, api_keys=keys,
              open_rate=max(1.0, two_call["flows_per_s"] / 2))
    )  # fmt: skip
    trips = b.django(env, "round-trips", payments=50, api_key=keys[0])
    print(
        f"  one call: {one['flows_per_s']:.0f} payments/s ({one_cpu} ms CPU each, "
        f"{trips['round_trips_per_payment']} round trips), open loop at half: p99 "
        f"{open_one['request_latency']['p99_ms']} ms; two calls: {two_call['flows_per_s']:.0f}/s, "
        f"{two_cpu} ms CPU, open-loop p99 {open_two['request_latency']['p99_ms']} ms",
        flush=True,
    )
    base_name = "minimal DRF insert endpoint"
    b.add(
        Figure(
            "API one-call: payments/s",
            one["flows_per_s"],
            "payments/s",
            base_name,
            minimal["requests_per_s"],
            baseline_unit="req/s",
            goal=Goal("ratio_min", 0.2),
            details={"one_call": one, "two_call_payments_per_s": two_call["flows_per_s"]},
        )
    )
    b.add(
        Figure(
            "API one-call: open-loop request p99",
            open_one["request_latency"]["p99_ms"],
            "ms",
            "two-call flow, open loop at half its maximum",
            open_two["request_latency"]["p99_ms"],
            goal=Goal("max", 50),
            details={"one_call": open_one, "two_call": open_two},
        )
    )
    b.add(
        Figure(
            "API one-call: open-loop request p50",
            open_one["request_latency"]["p50_ms"],
            "ms",
            "two-call flow, open loop at half its maximum",
            open_two["request_latency"]["p50_ms"],
        )
    )
    b.add(
        Figure(
            "API one-call: open-loop errors",
            open_one["errors"],
            "errors",
            "two-call flow, open loop",
            open_two["errors"],
            goal=Goal("equal", 0),
            details={"samples": open_one["error_samples"] + open_two["error_samples"]},
        )
    )
    b.add(
        Figure(
            "API one-call: server CPU per payment",
            one_cpu,
            "ms",
            "two-call flow",
            two_cpu,
            goal=Goal("max", 12),
            details={"note": "gunicorn workers' user+system CPU over the run / payments"},
        )
    )
    b.add(
        Figure(
            "API one-call: round trips per payment",
            trips["round_trips_per_payment"],
            "round trips",
            goal=Goal("max", 25),
            details=trips,
        )
    )
    _scale(b, base, setup, db=db)


def _scale(b: Bench, base: str, setup: dict, *, db: str) -> None:
    """8 clients of one merchant paying in one call with one card, then with 8 cards: the
    payments/s of each and the time its requests spent waiting for row locks (sampled)."""
    results = {}
    for label, cards in (("one card", [CARD["number"]]), ("8 cards", EIGHT_CARDS)):
        spec = _spec(
            b, base, duration=10, concurrency=SCALE_CLIENTS, steps=ONE_CALL_STEPS,
            api_keys=setup["shared_api_keys"], cards=cards,
        )  # fmt: skip
        with LockSampler(b.pg.url(db)) as sampler:
            result = p.loadgen(spec)
        waited_ms = sampler.waiting_ms()
        flows = max(1, round(result["flows_per_s"] * result["elapsed_s"]))
        results[label] = {
            "payments_per_s": result["flows_per_s"],
            "lock_wait_ms_per_payment": round(waited_ms / flows, 3),
            "errors": result["errors"],
            "samples": sampler.samples,
        }
    one, eight = results["one card"], results["8 cards"]
    print(
        f"  scale, 8 clients of one merchant: one card {one['payments_per_s']:.0f}/s "
        f"({one['lock_wait_ms_per_payment']} ms lock wait each), 8 cards "
        f"{eight['payments_per_s']:.0f}/s ({eight['lock_wait_ms_per_payment']} ms)",
        flush=True,
    )
    b.add(
        Figure(
            "API one-call: 8 clients, one card, payments/s",
            one["payments_per_s"],
            "payments/s",
            "the same with 8 different cards",
            eight["payments_per_s"],
            details=results,
        )
    )
    b.add(
        Figure(
            "API one-call: lock wait per payment, one card",
            one["lock_wait_ms_per_payment"],
            "ms",
            "the same with 8 different cards",
            eight["lock_wait_ms_per_payment"],
            goal=Goal("max", 2),
        )
    )


class LockSampler:
    """Every 5 ms, count the backends of one database waiting for a lock (``pg_stat_activity``);
    ``waiting_ms`` is the sum over samples of waiting backends × the interval."""

    INTERVAL = 0.005

    def __init__(self, url: str):
        self.url = url
        self.samples = 0
        self.waiting = 0
        self._stop = threading.Event()

    def __enter__(self):
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        with psycopg.connect(self.url, autocommit=True) as conn:
            while not self._stop.wait(self.INTERVAL):
                row = conn.execute(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                ).fetchone()
                self.samples += 1
                self.waiting += row[0]

    def waiting_ms(self) -> float:
        return self.waiting * self.INTERVAL * 1000


def _checkout(b: Bench, base: str, setup: dict) -> None:
    paths = setup["checkout_paths"]
    constant = p.loadgen(
        _spec(b, base, duration=10, steps=_get_steps("constant", "/bench/constant"))
    )
    page = p.loadgen(
        _spec(b, base, duration=10, steps=_get_steps("checkout", "$path"), paths=paths)
    )
    # One client, one request at a time: the latency is the server's time plus loopback TCP.
    constant_1 = p.loadgen(
        _spec(b, base, duration=4, concurrency=1, steps=_get_steps("constant", "/bench/constant"))
    )
    page_1 = p.loadgen(
        _spec(
            b, base, duration=4, concurrency=1, steps=_get_steps("checkout", "$path"), paths=paths
        )
    )
    weight = page_weight(base, paths[0])
    print(
        f"  checkout: {page['requests_per_s']:.0f} req/s (constant view "
        f"{constant['requests_per_s']:.0f}), {page_1['request_latency']['p50_ms']} ms, "
        f"{weight['total_bytes']} bytes",
        flush=True,
    )
    b.add(
        Figure(
            "checkout page: requests/s",
            page["requests_per_s"],
            "req/s",
            "constant view, no database",
            constant["requests_per_s"],
            goal=Goal("ratio_min", 0.4),
            details={"checkout": page, "constant": constant},
        )
    )
    b.add(
        Figure(
            "checkout page: server time p50 (1 client)",
            page_1["request_latency"]["p50_ms"],
            "ms",
            "constant view, no database",
            constant_1["request_latency"]["p50_ms"],
            goal=Goal("max", 10),
            details={"checkout": page_1["request_latency"], "constant": constant_1["request_latency"],
                     "errors": page_1["errors"] + page["errors"]},
        )
    )  # fmt: skip
    b.add(
        Figure(
            "checkout page: HTML+CSS+JS size",
            round(weight["total_bytes"] / 1024, 2),
            "KB",
            goal=Goal("max", 30),
            details={**weight, "wire_kb_gzip": round(weight["wire_bytes"] / 1024, 2)},
        )
    )


def _profile(b: Bench, base: str, setup: dict) -> None:
    """Record the payment flow on each gunicorn worker with py-spy (a separate, unmeasured run)."""
    import shutil

    if not shutil.which("py-spy") and not (Path(p.PY).parent / "py-spy").exists():
        b.skip("profile", "py-spy is not installed")
        return
    spy = str(Path(p.PY).parent / "py-spy") if (Path(p.PY).parent / "py-spy").exists() else "py-spy"
    out = p.ROOT / "test-output"
    out.mkdir(exist_ok=True)
    workers = p.children_pids(b.procs.procs["gunicorn"].pid)
    recorders = []
    # One sampler per worker (two on one process would double the pauses): a flame graph of the
    # first, collapsed stacks of the second for counting the hot spots.
    for n, pid in enumerate(workers):
        fmt, suffix = ("flamegraph", "svg") if n == 0 else ("raw", "txt")
        recorders.append(
            subprocess.Popen(
                [spy, "record", "--pid", str(pid), "--duration", "12", "--rate", "200",
                 "--format", fmt, "--output", str(out / f"profile-worker{n}.{suffix}")],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )
        )  # fmt: skip
    time.sleep(0.5)
    try:
        p.loadgen(_spec(b, base, duration=10, steps=PAYMENT_STEPS, api_keys=setup["api_keys"]))
    finally:
        for rec in recorders:
            try:
                rec.wait(timeout=30)
            except subprocess.TimeoutExpired:
                rec.kill()
    b.notes["profiles"] = sorted(str(f.relative_to(p.ROOT)) for f in out.glob("profile-worker*"))
    raw = out / "profile-worker1.txt"
    if raw.exists():
        b.notes["profile_top"] = hot_spots(raw.read_text())
        for line in b.notes["profile_top"][:8]:
            print(f"  {line}", flush=True)


PROJECT_CODE = ("(payments/", "(institutions/", "(ledger/", "(settlement/", "(merchant_portal/")


def hot_spots(collapsed: str, *, top: int = 15) -> list[str]:
    """Return the project functions holding most samples (inclusive) of py-spy's raw output."""
    counts: dict[str, int] = {}
    total = 0
    for line in collapsed.splitlines():
        stack, _, n = line.rpartition(" ")
        if not n.isdigit():
            continue
        total += int(n)
        frames = set()
        for f in stack.split(";"):
            name, _, where = f.partition(" (")
            if ("(" + where).startswith(PROJECT_CODE):
                frames.add(f"{name} ({where.split(':')[0]})")
        for frame in frames:
            counts[frame] = counts.get(frame, 0) + int(n)
    ranked = sorted(counts.items(), key=lambda kv: -kv[1])[:top]
    return [f"{n / total:6.1%}  {frame}" for frame, n in ranked] if total else []
