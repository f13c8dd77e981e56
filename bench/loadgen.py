"""The load generator: a separate process that runs scripted HTTP flows with N concurrent clients.

Run as ``python -m bench.loadgen`` with a JSON spec on stdin; prints a JSON result on stdout.

A spec names ``base`` (``http://host:port``), ``concurrency``, ``warmup`` and ``duration``
(seconds), ``client`` (``raw`` or ``httpx``) and ``steps``: each client repeats the steps in order
until the window closes. A step is ``{"name", "method", "path", "json"?, "headers"?,
"expect": [201], "save": {"var": "json.key"}, "check": {"json.key": value}}``; ``$var`` in a path,
header or JSON string is replaced by a saved value, by ``$key`` (the client's entry of
``api_keys``), by ``$card`` (its entry of ``cards``), by ``$path`` (the client's next entry of
``paths``) or by ``$unique`` (new per step). Only requests that finish inside the measured window
(after the warm-up) are counted.

``open_rate`` (flows/s) turns the closed loop (each client sends when answered) into an open one:
flows start at Poisson arrivals whatever the server's pace, each on an idle connection or a new
one, and latency counts from the scheduled send time, so a stalled server shows in p99 instead
of slowing the senders down (coordinated omission).

The ``raw`` client speaks HTTP/1.1 over asyncio streams itself: on a two-core machine every
microsecond the generator spends is taken from the server under test, and it costs a fraction of
httpx's CPU per request (the result reports ``client_cpu_s`` so the cost is visible).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import random
import re
import resource
import sys
import uuid
from collections import Counter, defaultdict
from urllib.parse import urlsplit

from bench.stats import rate, summarize

_VAR = re.compile(r"\$(\w+)")


class HTTPError(Exception):
    pass


class RawConnection:
    """One HTTP/1.1 connection, reopened when the server closes it (gunicorn sync always does)."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            try:
                await self.writer.wait_closed()
            except OSError:
                pass
        self.reader = self.writer = None

    async def request(
        self, method: str, path: str, body: bytes, headers: dict[str, str]
    ) -> tuple[int, dict[str, str], bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        if body or method in ("POST", "PUT", "PATCH"):
            lines.append(f"Content-Length: {len(body)}")
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        try:
            head = await self.reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError as err:
            await self.close()
            raise HTTPError("connection closed before a response") from err
        status_line, *header_lines = head[:-4].decode("latin-1").split("\r\n")
        status = int(status_line.split(" ", 2)[1])
        response_headers = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            response_headers[name.strip().lower()] = value.strip()
        if "content-length" in response_headers:
            data = await self.reader.readexactly(int(response_headers["content-length"]))
        elif response_headers.get("transfer-encoding", "").lower() == "chunked":
            data = await self._chunked()
        else:
            data = await self.reader.read()
            response_headers["connection"] = "close"
        if response_headers.get("connection", "").lower() == "close":
            await self.close()
        return status, response_headers, data

    async def _chunked(self) -> bytes:
        parts = []
        while True:
            size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await self.reader.readuntil(b"\r\n")
                return b"".join(parts)
            parts.append(await self.reader.readexactly(size))
            await self.reader.readexactly(2)


class HttpxConnection:
    """The same interface over an ``httpx.AsyncClient`` (slower, kept for comparison)."""

    def __init__(self, base: str):
        import httpx

        self.client = httpx.AsyncClient(base_url=base, timeout=30)

    async def request(self, method, path, body, headers):
        response = await self.client.request(method, path, content=body, headers=headers)
        return response.status_code, dict(response.headers), response.content

    async def close(self) -> None:
        await self.client.aclose()


def substitute(value, variables: dict[str, str]):
    """Return ``value`` with ``$name`` replaced in every string, recursively."""
    if isinstance(value, str):
        return _VAR.sub(lambda m: str(variables.get(m.group(1), m.group(0))), value)
    if isinstance(value, dict):
        return {k: substitute(v, variables) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, variables) for v in value]
    return value


def dig(document, dotted: str):
    """Return ``document["a"]["b"]`` for ``"a.b"``; ``None`` when any part is missing."""
    for part in dotted.split("."):
        if not isinstance(document, dict) or part not in document:
            return None
        document = document[part]
    return document


class Recorder:
    def __init__(self, start: float, end: float):
        self.start, self.end = start, end
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.flow_latencies: list[float] = []
        self.errors = 0
        self.error_samples: list[dict] = []
        self.statuses: Counter[str] = Counter()

    def counts(self, t: float) -> bool:
        return self.start <= t <= self.end

    def error(self, t: float, step: str, detail: str) -> None:
        if not self.counts(t):
            return
        self.errors += 1
        if len(self.error_samples) < 10:
            self.error_samples.append({"step": step, "detail": detail[:300]})


async def flow_run(
    n: int, spec: dict, conn, rec: Recorder, variables: dict, scheduled: float
) -> None:
    """Run the spec's steps once. The first request's latency counts from ``scheduled`` (its
    planned send time: in open loop a late send is the server's delay too), the others' from
    their send; the flow's from ``scheduled``."""
    loop = asyncio.get_running_loop()
    ok, t1 = True, scheduled
    for index, step in enumerate(spec["steps"]):
        variables["unique"] = uuid.uuid4().hex
        path = substitute(step["path"], variables)
        headers = substitute(step.get("headers", {}), variables)
        body = b""
        if "json" in step:
            body = json.dumps(substitute(step["json"], variables)).encode()
            headers["Content-Type"] = "application/json"
        t0 = scheduled if index == 0 else loop.time()
        try:
            status, _, data = await conn.request(step["method"], path, body, headers)
        except (OSError, HTTPError, asyncio.IncompleteReadError) as err:
            await conn.close()
            t1 = loop.time()
            rec.error(t1, step["name"], f"{type(err).__name__}: {err}")
            ok = False
            break
        t1 = loop.time()
        if rec.counts(t1):
            rec.statuses[f"{step['name']} {status}"] += 1
        if status not in step.get("expect", [200]):
            rec.error(t1, step["name"], f"HTTP {status}: {data[:200]!r}")
            ok = False
            break
        if step.get("save") or step.get("check"):
            try:
                document = json.loads(data)
            except ValueError:
                rec.error(t1, step["name"], "response is not JSON")
                ok = False
                break
            for var, key in step.get("save", {}).items():
                variables[var] = dig(document, key)
            bad = {
                k: dig(document, k)
                for k, v in step.get("check", {}).items()
                if dig(document, k) != v
            }
            if bad:
                rec.error(t1, step["name"], f"unexpected {bad}")
                ok = False
                break
        if rec.counts(t1):
            rec.latencies[step["name"]].append(t1 - t0)
    # A flow ends when its last response arrives (t1), the same instant that decided whether
    # that request counts; reading the clock again here could place it just past the window.
    if ok and rec.counts(t1):
        rec.flow_latencies.append(t1 - scheduled)


def _variables(n: int, spec: dict, path_cycle) -> dict:
    keys = spec.get("api_keys") or [""]
    cards = spec.get("cards") or [""]
    return {
        "key": keys[n % len(keys)],
        "card": cards[n % len(cards)],
        "path": next(path_cycle),
        "client": str(n),
    }


async def client_loop(n: int, spec: dict, conn, rec: Recorder, stop_at: float) -> None:
    """Closed loop: the client sends its next flow when the last one is answered."""
    paths = spec.get("paths") or [""]
    path_cycle = itertools.cycle(paths[n % len(paths) :] + paths[: n % len(paths)])
    loop = asyncio.get_running_loop()
    while loop.time() < stop_at:
        await flow_run(n, spec, conn, rec, _variables(n, spec, path_cycle), loop.time())


async def open_loop(spec: dict, rec: Recorder, stop_at: float, make_conn) -> None:
    """Open loop: flows start at Poisson arrivals of ``open_rate`` per second whatever the
    server's pace (no coordinated omission: a slow answer does not delay the next send)."""
    loop = asyncio.get_running_loop()
    rng = random.Random(spec.get("seed", 1))
    rate_per_s = float(spec["open_rate"])
    paths = spec.get("paths") or [""]
    path_cycle = itertools.cycle(paths)
    idle: list = []
    running: set[asyncio.Task] = set()

    async def one(n: int, scheduled: float) -> None:
        conn = idle.pop() if idle else make_conn()
        try:
            await flow_run(n, spec, conn, rec, _variables(n, spec, path_cycle), scheduled)
        finally:
            idle.append(conn)

    next_at, n = loop.time(), 0
    while next_at < stop_at:
        delay = next_at - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        task = asyncio.create_task(one(n, next_at))
        running.add(task)
        task.add_done_callback(running.discard)
        n += 1
        next_at += rng.expovariate(rate_per_s)
    if running:
        await asyncio.wait(running, timeout=30)
    for conn in idle:
        await conn.close()
    rec.sent = n


async def run(spec: dict) -> dict:
    loop = asyncio.get_running_loop()
    parts = urlsplit(spec["base"])
    warmup, duration = float(spec.get("warmup", 2)), float(spec["duration"])
    begin = loop.time()
    rec = Recorder(begin + warmup, begin + warmup + duration)

    def make_conn():
        if spec.get("client", "raw") == "httpx":
            return HttpxConnection(spec["base"])
        return RawConnection(parts.hostname, parts.port or 80)

    conns = []
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    if spec.get("open_rate"):
        tasks = [asyncio.create_task(open_loop(spec, rec, rec.end, make_conn))]
    else:
        conns = [make_conn() for _ in range(int(spec["concurrency"]))]
        tasks = [
            asyncio.create_task(client_loop(i, spec, conn, rec, rec.end))
            for i, conn in enumerate(conns)
        ]
    # In-flight flows after the window are let finish briefly, not counted.
    done, pending = await asyncio.wait(tasks, timeout=warmup + duration + 30)
    for task in pending:
        task.cancel()
    for task in done:
        if task.exception() is not None:
            raise task.exception()
    for conn in conns:
        await conn.close()
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    requests = sum(len(v) for v in rec.latencies.values())
    return {
        "mode": f"open loop, Poisson {spec['open_rate']}/s" if spec.get("open_rate") else "closed",
        "client": "raw asyncio HTTP/1.1"
        if spec.get("client", "raw") == "raw"
        else "httpx.AsyncClient",
        "concurrency": spec.get("concurrency"),
        "window_s": duration,
        "requests": requests,
        "requests_per_s": rate(requests, duration),
        "flows": len(rec.flow_latencies),
        "flows_per_s": rate(len(rec.flow_latencies), duration),
        "flow_latency": summarize(rec.flow_latencies),
        "request_latency": summarize(itertools.chain.from_iterable(rec.latencies.values())),
        "steps": {name: summarize(values) for name, values in rec.latencies.items()},
        "errors": rec.errors,
        "error_samples": rec.error_samples,
        "statuses": dict(rec.statuses),
        "client_cpu_s": round((cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime), 3),
        "elapsed_s": round(loop.time() - begin, 3),
    }


def main() -> int:
    spec = json.loads(sys.stdin.read())
    result = asyncio.run(run(spec))
    json.dump(result, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
