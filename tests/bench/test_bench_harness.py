"""The bench harness's own pieces: statistics, the report, the load generator, scratch safety.

No timings are asserted: these check that the figures are computed and written correctly.
"""

import asyncio
import json

import pytest

from bench import loadgen, receiver
from bench.report import Figure, Goal, table, write_results
from bench.services import Postgres, Redis
from bench.stats import percentile, rate, summarize


def test_percentile_is_nearest_rank_of_the_sample():
    values = list(range(1, 101))
    assert percentile(values, 50) == 50
    assert percentile(values, 99) == 99
    assert percentile(values, 100) == 100
    assert percentile([7.0], 99) == 7.0
    assert percentile([], 50) is None


def test_percentile_refuses_a_quantile_outside_0_to_100():
    with pytest.raises(ValueError, match="q must be"):
        percentile([1, 2], 0)


def test_summarize_reports_milliseconds_and_handles_no_samples():
    summary = summarize([0.003, 0.001, 0.002, 0.010])
    assert summary["count"] == 4
    assert summary["min_ms"] == 1.0
    assert summary["p50_ms"] == 2.0
    assert summary["max_ms"] == 10.0
    assert summary["mean_ms"] == 4.0
    assert summarize([])["p99_ms"] is None
    assert rate(10, 0) == 0.0
    assert rate(10, 2) == 5.0


def test_goals_compare_value_or_ratio_to_their_bound():
    assert Goal("ratio_min", 0.5).check(60, 0.6) is True
    assert Goal("ratio_min", 0.5).check(40, 0.4) is False
    assert Goal("ratio_max", 2).check(3, 1.5) is True
    assert Goal("max", 100).check(100, None) is False
    assert Goal("min", 400).check(401, None) is True
    assert Goal("equal", 0).check(0, None) is True
    assert Goal("max", 100).check(None, None) is None


def test_figure_ratio_is_value_over_baseline_and_decides_a_ratio_goal():
    figure = Figure("API", 250.0, "req/s", "minimal", 500.0, goal=Goal("ratio_min", 0.5))
    assert figure.ratio == 0.5
    assert figure.met is True
    assert Figure("x", 1.0, "s", "base", 0.0).ratio is None
    assert Figure("x", 1.0, "s").met is None


def test_results_json_holds_every_field_per_figure_and_the_environment(tmp_path):
    figures = [
        Figure("API: payments/s", 120.5, "payments/s", "minimal", 480.0, "req/s",
               Goal("ratio_min", 0.25), {"p99_ms": 40}),
        Figure("size", 18.4, "KB", goal=Goal("max", 30)),
    ]  # fmt: skip
    path = tmp_path / "results.json"
    write_results(
        path,
        figures=figures,
        skipped=[{"name": "webhooks", "reason": "no Redis"}],
        environment={"cpu_count": 2, "load_generator": "raw asyncio"},
        extra={"duration_s": 1.0},
    )
    document = json.loads(path.read_text())
    first = document["figures"][0]
    assert set(first) >= {
        "name", "value", "unit", "baseline", "baseline_value", "ratio", "goal", "met",
    }  # fmt: skip
    assert first["ratio"] == pytest.approx(120.5 / 480.0, abs=1e-4)
    assert first["met"] is True
    assert first["goal"] == ">= 0.25x baseline"
    assert document["figures"][1]["baseline"] is None
    assert document["environment"]["load_generator"] == "raw asyncio"
    assert document["skipped"][0]["reason"] == "no Redis"
    assert document["goals_met"] == 2
    assert not (tmp_path / "results.json.tmp").exists()


def test_table_lists_each_figure_with_its_verdict_and_the_skipped_ones():
    text = table(
        [Figure("API: p99", 120.0, "ms", "minimal", 40.0, goal=Goal("max", 100))],
        [{"name": "settlement", "reason": "not landed"}],
    )
    row = next(line for line in text.splitlines() if line.startswith("API: p99"))
    assert "120 ms" in row
    assert "3.00x" in row
    assert row.rstrip().endswith("NO")
    assert "SKIPPED settlement: not landed" in text


def test_substitute_replaces_variables_in_nested_strings_only():
    spec = {"path": "/orders/$order_id/pay", "n": 3, "body": ["ref-$unique", {"k": "$missing"}]}
    out = loadgen.substitute(spec, {"order_id": "ord_1", "unique": "u1"})
    assert out == {"path": "/orders/ord_1/pay", "n": 3, "body": ["ref-u1", {"k": "$missing"}]}
    assert loadgen.dig({"a": {"b": 1}}, "a.b") == 1
    assert loadgen.dig({"a": 1}, "a.b") is None


def test_load_generator_counts_requests_and_errors_against_a_real_server():
    async def scenario():
        server = await asyncio.start_server(receiver.handle, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        base = {"base": f"http://127.0.0.1:{port}", "concurrency": 2, "warmup": 0, "duration": 0.3}
        async with server:
            good = await loadgen.run(
                {**base, "steps": [{"name": "post", "method": "POST", "path": "/h",
                                    "json": {"x": "$unique"}, "expect": [204]}]}
            )  # fmt: skip
            bad = await loadgen.run(
                {**base, "steps": [{"name": "post", "method": "POST", "path": "/h",
                                    "expect": [200]}]}
            )  # fmt: skip
        return good, bad

    good, bad = asyncio.run(scenario())
    assert good["requests"] > 0
    assert good["flows"] == good["requests"]
    assert good["errors"] == 0
    assert good["statuses"] == {"post 204": good["requests"]}
    assert good["request_latency"]["count"] == good["requests"]
    assert bad["requests"] == 0
    assert bad["errors"] > 0
    assert "HTTP 204" in bad["error_samples"][0]["detail"]


def test_open_loop_latency_counts_from_the_scheduled_send_not_from_a_late_one():
    """A server that answers slower than flows arrive: in open loop the senders do not wait for
    it, so the number sent follows the rate and the latency grows with the queue (closed loop
    would send less and report each request's own short time)."""

    async def scenario():
        async def slow(reader, writer):
            await reader.readuntil(b"\r\n\r\n")
            await asyncio.sleep(0.05)
            writer.write(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n")
            await writer.drain()
            writer.close()

        server = await asyncio.start_server(slow, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        spec = {
            "base": f"http://127.0.0.1:{port}",
            "open_rate": 200,
            "warmup": 0,
            "duration": 0.5,
            "steps": [{"name": "get", "method": "GET", "path": "/", "expect": [204]}],
        }
        async with server:
            return await loadgen.run(spec)

    result = asyncio.run(scenario())
    assert result["mode"].startswith("open loop")
    assert result["errors"] == 0
    # About 100 flows are sent in 0.5 s at 200/s, each answered after at least 50 ms.
    assert 60 <= result["requests"] <= 140
    assert result["request_latency"]["p50_ms"] >= 50


def test_a_flow_counts_exactly_when_its_last_request_counts_wherever_the_window_closes():
    """A window closing between a flow's last response and the bookkeeping after it must not
    count the request but drop the flow. A stepping clock makes every closing instant reachable."""

    class Instant:
        async def request(self, method, path, body, headers):
            return 204, {}, b""

    async def counted(end: int) -> tuple[int, int]:
        loop = asyncio.get_running_loop()
        ticks = iter(range(10**6))
        loop.time = lambda: next(ticks)  # each clock read is one tick later than the last
        try:
            rec = loadgen.Recorder(0, end)
            spec = {"steps": [{"name": "post", "method": "POST", "path": "/h", "expect": [204]}]}
            await loadgen.client_loop(0, spec, Instant(), rec, end)
        finally:
            del loop.time
        return sum(len(v) for v in rec.latencies.values()), len(rec.flow_latencies)

    results = {end: asyncio.run(counted(end)) for end in range(1, 40)}
    assert {end: flows for end, (_, flows) in results.items()} == {
        end: requests for end, (requests, _) in results.items()
    }
    assert results[39][0] > 1


def test_scratch_databases_are_the_only_ones_the_bench_creates_or_drops():
    pg = Postgres.from_url("postgres://postgres@127.0.0.1:5432/test")
    for name in ("test", "postgres", "bench_run", "bench_run_x; DROP DATABASE test"):
        with pytest.raises(ValueError, match="not a bench scratch database"):
            pg.drop(name)
    assert pg.url("bench_run_http") == "postgres://postgres@127.0.0.1:5432/bench_run_http"


def test_redis_uses_the_servers_host_but_the_benchs_own_databases(monkeypatch):
    monkeypatch.setenv("REDIS_URL", "redis://cache.internal:6380/0")
    monkeypatch.delenv("BENCH_REDIS_DB", raising=False)
    redis = Redis.from_env()
    assert redis.cache_url == "redis://cache.internal:6380/12"
    assert redis.broker_url == "redis://cache.internal:6380/13"
    assert redis.host_port == ("cache.internal", 6380)


def test_hot_spots_rank_project_functions_by_inclusive_samples():
    from bench.fig_http import hot_spots

    collapsed = "\n".join(
        [
            "main (gunicorn/app.py:1);post (payments/api/views.py:9);wait (psycopg/c.py:4) 6",
            "main (gunicorn/app.py:1);post (payments/api/views.py:9);"
            "event_record (payments/services/events.py:15) 3",
            "main (gunicorn/app.py:1);idle (gunicorn/arbiter.py:2) 1",
        ]
    )
    ranked = hot_spots(collapsed)
    assert ranked[0] == " 90.0%  post (payments/api/views.py)"
    assert ranked[1] == " 30.0%  event_record (payments/services/events.py)"
    assert not any("gunicorn" in line or "psycopg" in line for line in ranked)


def test_a_runs_scratch_databases_carry_its_id_and_only_dead_runs_of_this_host_are_stale():
    import subprocess
    import sys

    from bench.context import Bench
    from bench.services import run_id, stale

    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    dead = run_id(child.pid)
    mine = Bench(pg=None, redis=None, procs=None, var_dir=None, deadline=0)
    elsewhere = "bench_run_p" + str(child.pid) + "_00000000_settle"

    assert mine.db("settle") == f"bench_run_{run_id()}_settle"
    assert mine.db("settle") != Bench(None, None, None, None, 0, run=dead).db("settle")
    names = [mine.db("settle"), f"bench_run_{dead}_settle", f"bench_run_{dead}_template",
             elsewhere, "bench_run_settle"]  # fmt: skip
    assert stale(names) == [f"bench_run_{dead}_settle", f"bench_run_{dead}_template"]


def test_the_end_of_a_run_drops_only_its_own_scratch_databases(monkeypatch):
    names = (
        "bench_run_p1_aaaaaaaa_settle\nbench_run_p12_aaaaaaaa_settle\nbench_run_p1_aaaaaaaa_http"
    )
    monkeypatch.setattr(Postgres, "psql", lambda self, db, sql, **kw: names)
    pg = Postgres.from_url("postgres://postgres@127.0.0.1:5432/test")

    assert pg.scratch_databases("p1_aaaaaaaa") == [
        "bench_run_p1_aaaaaaaa_settle",
        "bench_run_p1_aaaaaaaa_http",
    ]
    assert len(pg.scratch_databases()) == 3
