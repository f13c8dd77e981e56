"""The PostgreSQL and Redis the bench runs against, and its scratch databases there.

``DATABASE_URL`` / ``REDIS_URL`` name the servers (the bench never touches the database named in
``DATABASE_URL``: it creates ``bench_run_*`` scratch databases beside it and drops them at the
end). A run's scratch databases carry its id (``run_id``: its pid and a tag of its host), so
concurrent runs on one server leave each other's alone. Unset, the local services at 127.0.0.1
are used when they answer.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import threading
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

LOCAL_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/postgres"
LOCAL_REDIS_URL = "redis://127.0.0.1:6379/12"
SCRATCH_PREFIX = "bench_run"
_RUN_DATABASE = re.compile(rf"{SCRATCH_PREFIX}_p(\d+)_([0-9a-f]{{8}})_[a-z0-9_]+")


def _host_tag() -> str:
    return f"{zlib.crc32(socket.gethostname().encode()):08x}"


def run_id(pid: int | None = None) -> str:
    """This process's id in its scratch databases' names: ``p<pid>_<host tag>``."""
    return f"p{os.getpid() if pid is None else pid}_{_host_tag()}"


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def reachable(host: str, port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


@dataclass(frozen=True)
class Postgres:
    host: str
    port: int
    user: str
    password: str

    @classmethod
    def from_url(cls, url: str) -> Postgres:
        parts = urlsplit(url)
        return cls(
            host=parts.hostname or "127.0.0.1",
            port=parts.port or 5432,
            user=parts.username or "postgres",
            password=parts.password or "",
        )

    def url(self, dbname: str) -> str:
        auth = self.user + (f":{self.password}" if self.password else "")
        return f"postgres://{auth}@{self.host}:{self.port}/{dbname}"

    def env(self) -> dict[str, str]:
        env = {**os.environ, "PGHOST": self.host, "PGPORT": str(self.port), "PGUSER": self.user}
        if self.password:
            env["PGPASSWORD"] = self.password
        return env

    def psql(self, dbname: str, sql: str, *, timeout: float = 600) -> str:
        """Run SQL with psql (stop on the first error) and return its unaligned output."""
        done = subprocess.run(
            ["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-d", dbname, "-c", sql],
            env=self.env(), capture_output=True, text=True, timeout=timeout,
        )  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(f"psql failed: {done.stderr.strip()}")
        return done.stdout.strip()

    @contextmanager
    def statistics_kept(self, dbname: str, *, every: float = 15) -> Iterator[bool]:
        """Stand in for autovacuum's ANALYZE while the block runs, if the server has it off.

        A figure that grows its tables a hundredfold from a near-empty template would otherwise
        be planned on the template's statistics: IN-list lookups turn into sequential scans and
        the figure measures the missing ANALYZE (a 10,000-subscription billing run fell from 127
        to 20 charges/s). Production keeps autovacuum on. Yield whether it stood in.
        """
        if self.psql(dbname, "SHOW autovacuum") == "on":
            yield False
            return
        stop = threading.Event()

        def analyze() -> None:
            while not stop.wait(every):
                self.psql(dbname, "ANALYZE")

        thread = threading.Thread(target=analyze, name="bench-analyze", daemon=True)
        thread.start()
        try:
            yield True
        finally:
            stop.set()
            thread.join()

    def psql_file(self, dbname: str, script: str, *, timeout: float = 600) -> str:
        """Run a multi-statement script through psql's stdin, return its output."""
        done = subprocess.run(
            ["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-d", dbname],
            input=script, env=self.env(), capture_output=True, text=True, timeout=timeout,
        )  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(f"psql failed: {done.stderr.strip()}")
        return done.stdout.strip()

    def version(self) -> str:
        return self.psql("postgres", "SHOW server_version")

    def drop(self, dbname: str) -> None:
        _check_scratch(dbname)
        self.psql("postgres", f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')

    def create(self, dbname: str, *, template: str | None = None) -> None:
        """(Re)create a scratch database, empty or as a copy of ``template``."""
        _check_scratch(dbname)
        self.drop(dbname)
        clause = f' TEMPLATE "{template}"' if template else ""
        for attempt in range(10):
            try:
                self.psql("postgres", f'CREATE DATABASE "{dbname}"{clause}')
                return
            except RuntimeError as err:
                # A template still has a closing connection for a moment after its last user.
                if "being accessed by other users" not in str(err) or attempt == 9:
                    raise
                time.sleep(0.5)

    def scratch_databases(self, run: str | None = None) -> list[str]:
        """Return the scratch databases on the server, only run ``run``'s when given."""
        names = self.psql(
            "postgres", f"SELECT datname FROM pg_database WHERE datname LIKE '{SCRATCH_PREFIX}%'"
        )
        names = [n for n in names.splitlines() if n]
        if run is None:
            return names
        return [n for n in names if n.startswith(f"{SCRATCH_PREFIX}_{run}_")]

    def stale_scratch_databases(self) -> list[str]:
        """Return the scratch databases of runs of this host whose process no longer exists."""
        return stale(self.scratch_databases())


def stale(names: list[str]) -> list[str]:
    """Of scratch database ``names``, those of a run of this host whose pid is not alive; a
    name of another host or without a run id is nobody's to judge here."""
    found = []
    for name in names:
        match = _RUN_DATABASE.fullmatch(name)
        if match and match[2] == _host_tag() and not pid_alive(int(match[1])):
            found.append(name)
    return found


def _check_scratch(dbname: str) -> None:
    if not re.fullmatch(rf"{SCRATCH_PREFIX}_[a-z0-9_]+", dbname):
        raise ValueError(f"refusing to create or drop {dbname!r}: not a bench scratch database")


@dataclass(frozen=True)
class Redis:
    cache_url: str
    broker_url: str

    @classmethod
    def from_env(cls) -> Redis:
        """Use the server of ``REDIS_URL`` but databases of the bench's own (``BENCH_REDIS_DB``,
        default 12, and the next one for the broker), because the bench empties them."""
        parts = urlsplit(os.environ.get("REDIS_URL") or LOCAL_REDIS_URL)
        db = int(os.environ.get("BENCH_REDIS_DB") or 12)
        return cls(
            cache_url=urlunsplit(parts._replace(path=f"/{db}")),
            broker_url=urlunsplit(parts._replace(path=f"/{db + 1}")),
        )

    @property
    def host_port(self) -> tuple[str, int]:
        parts = urlsplit(self.cache_url)
        return parts.hostname or "127.0.0.1", parts.port or 6379

    def version(self) -> str:
        import redis

        return redis.Redis.from_url(self.cache_url).info("server")["redis_version"]

    def flush(self) -> None:
        """Empty the bench's cache and broker databases (throttle counters, queued tasks)."""
        import redis

        for url in {self.cache_url, self.broker_url}:
            redis.Redis.from_url(url).flushdb()


def locate() -> tuple[Postgres | None, Redis | None, list[str]]:
    """Return the PostgreSQL and Redis to use (``None`` when unusable) and why not."""
    problems = []
    url = os.environ.get("DATABASE_URL") or LOCAL_DATABASE_URL
    pg: Postgres | None = None
    if not url.startswith("postgres"):
        problems.append(f"DATABASE_URL is not PostgreSQL ({url.split(':', 1)[0]})")
    else:
        candidate = Postgres.from_url(url)
        if reachable(candidate.host, candidate.port):
            pg = candidate
        else:
            problems.append(f"PostgreSQL at {candidate.host}:{candidate.port} is not reachable")
    redis_ = Redis.from_env()
    if not reachable(*redis_.host_port):
        problems.append("Redis at {}:{} is not reachable".format(*redis_.host_port))
        redis_ = None
    return pg, redis_, problems
