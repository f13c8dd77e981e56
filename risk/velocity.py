"""Velocity: attempts, declines and distinct cards per key in sliding windows.

A key is a dimension and a value: ``card:<fingerprint>``, ``ip:<address>``,
``email:<hash of the address>``, ``bin:<first six>``, ``order:<id>``, counted per merchant and
mode. Each count covers the window ending now (10 minutes, an hour, a day): a sliding window,
not a calendar bucket.

Kept in Redis (sorted sets scored by time, one pipeline per payment) when ``REDIS_URL`` is set,
else in the database (``VelocityEvent`` rows, one aggregate query per payment, deleted by a sweep
once older than a day). An unreachable Redis counts nothing (logged): a payment is never refused
because a counter could not be read.
"""

from __future__ import annotations

import hashlib
import logging
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone

from .models import VelocityEvent

logger = logging.getLogger(__name__)

WINDOWS: dict[str, timedelta] = {
    "10m": timedelta(minutes=10),
    "1h": timedelta(hours=1),
    "1d": timedelta(days=1),
}
RETENTION = timedelta(days=1, hours=1)
Kind = VelocityEvent.Kind


@dataclass(frozen=True)
class Counts:
    attempts: dict[str, int]
    declines: dict[str, int]
    distinct_cards: dict[str, int]


ZERO = Counts(
    attempts=dict.fromkeys(WINDOWS, 0),
    declines=dict.fromkeys(WINDOWS, 0),
    distinct_cards=dict.fromkeys(WINDOWS, 0),
)


def key_for(dimension: str, value: str) -> str:
    """Return the counter key of ``value`` (e-mail addresses are hashed, not kept)."""
    if dimension == "email":
        value = hashlib.sha256(value.lower().encode()).hexdigest()[:32]
    return f"{dimension}:{value}"[:100]


def _redis_url() -> str:
    return getattr(settings, "RISK_VELOCITY_REDIS_URL", "") or settings.REDIS_URL


@lru_cache(maxsize=4)
def _client(url: str):
    from redis import Redis  # on first use only: see _redis_error

    return Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)


def counts_read(*, merchant_id: int, livemode: bool, keys: list[str]) -> dict[str, Counts]:
    """Return the counts of each key over each window, before the attempt being screened."""
    keys = [k for k in dict.fromkeys(keys) if k]
    if not keys:
        return {}
    if _redis_url():
        return _redis_counts(merchant_id, livemode, keys)
    return _database_counts(merchant_id, livemode, keys)


def attempt_record(*, merchant_id: int, livemode: bool, keys: list[str], card: str, ref: str):
    """Count an attempt (with its card, for distinct cards) under every key."""
    _record(merchant_id, livemode, keys, Kind.ATTEMPT, card, ref)


def decline_record(*, merchant_id: int, livemode: bool, keys: list[str], card: str, ref: str):
    _record(merchant_id, livemode, keys, Kind.DECLINE, card, ref)


def _record(merchant_id, livemode, keys, kind, card, ref) -> None:
    keys = [k for k in dict.fromkeys(keys) if k]
    if not keys:
        return
    if _redis_url():
        _redis_record(merchant_id, livemode, keys, kind, card, ref)
        return
    now = timezone.now()
    VelocityEvent.objects.bulk_create(
        VelocityEvent(
            merchant_id=merchant_id, livemode=livemode, key=key, kind=kind, card=card, at=now
        )
        for key in keys
    )


def events_purge(*, now: datetime | None = None) -> int:
    """Delete database counters older than every window; return how many."""
    cutoff = (now or timezone.now()) - RETENTION
    deleted, _ = VelocityEvent.objects.filter(at__lt=cutoff).delete()
    return deleted


# --- database ---------------------------------------------------------------------------------


def _database_counts(merchant_id: int, livemode: bool, keys: list[str]) -> dict[str, Counts]:
    now = timezone.now()
    aggregates = {}
    for name, span in WINDOWS.items():
        recent = Q(at__gt=now - span)
        aggregates[f"a{name}"] = Count("id", filter=recent & Q(kind=Kind.ATTEMPT))
        aggregates[f"d{name}"] = Count("id", filter=recent & Q(kind=Kind.DECLINE))
        aggregates[f"c{name}"] = Count(
            "card", distinct=True, filter=recent & Q(kind=Kind.ATTEMPT) & ~Q(card="")
        )
    rows = (
        VelocityEvent.objects.filter(
            merchant_id=merchant_id,
            livemode=livemode,
            key__in=keys,
            at__gt=now - max(WINDOWS.values()),
        )
        .values("key")
        .annotate(**aggregates)
    )
    return {
        row["key"]: Counts(
            attempts={w: row[f"a{w}"] for w in WINDOWS},
            declines={w: row[f"d{w}"] for w in WINDOWS},
            distinct_cards={w: row[f"c{w}"] for w in WINDOWS},
        )
        for row in rows
    }


# --- Redis ------------------------------------------------------------------------------------


def _rkey(merchant_id: int, livemode: bool, key: str, kind: str) -> str:
    return f"{settings.RISK_VELOCITY_KEY_PREFIX}:{merchant_id}:{int(livemode)}:{kind}:{key}"


def _redis_error() -> tuple[type[Exception], ...]:
    """Return what an unreachable Redis raises. Imported only when Redis is configured: the
    redis package loads OpenTelemetry, which a process without tracing must not load
    (``tests/observability/test_tracing.py``)."""
    from redis.exceptions import RedisError

    return (RedisError, OSError)


def _redis_counts(merchant_id: int, livemode: bool, keys: list[str]) -> dict[str, Counts]:
    unreachable = _redis_error()
    now = time.time()
    try:
        pipe = _client(_redis_url()).pipeline(transaction=False)
        for key in keys:
            for kind in ("a", "d", "c"):
                for span in WINDOWS.values():
                    pipe.zcount(
                        _rkey(merchant_id, livemode, key, kind), now - span.total_seconds(), "+inf"
                    )
        values = pipe.execute()
    except unreachable as err:
        logger.warning("velocity not read, Redis unreachable: %s", type(err).__name__)
        return {}
    out, per_key = {}, 3 * len(WINDOWS)
    for i, key in enumerate(keys):
        chunk = values[i * per_key : (i + 1) * per_key]
        n = len(WINDOWS)
        out[key] = Counts(
            attempts=dict(zip(WINDOWS, chunk[:n], strict=True)),
            declines=dict(zip(WINDOWS, chunk[n : 2 * n], strict=True)),
            distinct_cards=dict(zip(WINDOWS, chunk[2 * n :], strict=True)),
        )
    return out


def _redis_record(merchant_id, livemode, keys, kind, card, ref) -> None:
    _redis_record_many(merchant_id, livemode, [(keys, kind, card, ref)])


def _redis_record_many(merchant_id, livemode, records) -> None:
    """Count each ``(keys, kind, card, ref)`` in one pipeline."""
    unreachable = _redis_error()
    now = time.time()
    keep = RETENTION.total_seconds()
    try:
        pipe = _client(_redis_url()).pipeline(transaction=False)
        for keys, kind, card, ref in records:
            member = f"{ref}:{uuid.uuid4().hex[:8]}"
            for key in keys:
                sets = [("a" if kind == Kind.ATTEMPT else "d", member)]
                if kind == Kind.ATTEMPT and card:
                    sets.append(("c", card))  # a card seen again moves to now: distinct per window
                for name, value in sets:
                    rkey = _rkey(merchant_id, livemode, key, name)
                    pipe.zadd(rkey, {value: now})
                    pipe.zremrangebyscore(rkey, "-inf", now - keep)
                    pipe.expire(rkey, int(keep))
        pipe.execute()
    except unreachable as err:
        logger.warning("velocity not counted, Redis unreachable: %s", type(err).__name__)


# --- a batch of attempts (renewals) -----------------------------------------------------------


class Batch:
    """The counts of a batch of attempts screened one after the other, read once.

    Each attempt's counts are those the single path would read before it: the stored ones plus
    the batch's earlier attempts (a card counts once per window among the distinct cards, so
    which cards each key saw in each window is read too). ``record`` writes every attempt at the
    end, in one statement (database) or one pipeline (Redis).
    """

    def __init__(self, *, merchant_id: int, livemode: bool, keys: list[str], cards: list[str]):
        self.scope = (merchant_id, livemode)
        keys = [k for k in dict.fromkeys(keys) if k]
        self.base: dict[str, Counts] = {}
        # (key, card) -> the windows in which the key saw the card
        self.seen: dict[tuple[str, str], set[str]] = {}
        self.added: dict[str, dict[str, dict[str, int]]] = {}
        self.attempts: list[tuple[list[str], str, str]] = []
        if not keys:
            return
        cards = sorted({c for c in cards if c})
        if _redis_url():
            self._redis_read(keys, cards)
        else:
            self._database_read(keys)

    def _database_read(self, keys: list[str]) -> None:
        now = timezone.now()
        aggregates = {}
        for name, span in WINDOWS.items():
            recent = Q(at__gt=now - span)
            aggregates[f"a{name}"] = Count("id", filter=recent & Q(kind=Kind.ATTEMPT))
            aggregates[f"d{name}"] = Count("id", filter=recent & Q(kind=Kind.DECLINE))
        merchant_id, livemode = self.scope
        rows = (
            VelocityEvent.objects.filter(
                merchant_id=merchant_id,
                livemode=livemode,
                key__in=keys,
                at__gt=now - max(WINDOWS.values()),
            )
            .values("key", "card")
            .annotate(**aggregates)
            .order_by()
        )
        totals: dict[str, dict[str, dict[str, int]]] = {}
        for row in rows:
            counts = totals.setdefault(row["key"], _zero())
            for w in WINDOWS:
                counts["attempts"][w] += row[f"a{w}"]
                counts["declines"][w] += row[f"d{w}"]
                if row["card"] and row[f"a{w}"]:
                    counts["distinct_cards"][w] += 1
                    self.seen.setdefault((row["key"], row["card"]), set()).add(w)
        self.base = {key: Counts(**counts) for key, counts in totals.items()}

    def _redis_read(self, keys: list[str], cards: list[str]) -> None:
        merchant_id, livemode = self.scope
        self.base = _redis_counts(merchant_id, livemode, keys)
        if not self.base or not cards:
            return
        pairs = [(key, card) for key in keys for card in cards]
        try:
            pipe = _client(_redis_url()).pipeline(transaction=False)
            for key, card in pairs:
                pipe.zscore(_rkey(merchant_id, livemode, key, "c"), card)
            scores = pipe.execute()
        except _redis_error() as err:
            logger.warning("velocity not read, Redis unreachable: %s", type(err).__name__)
            return
        now = time.time()
        for pair, score in zip(pairs, scores, strict=True):
            if score is not None:
                windows = {w for w, span in WINDOWS.items() if score >= now - span.total_seconds()}
                self.seen[pair] = windows

    def counts(self, keys: list[str]) -> dict[str, Counts]:
        """The counts of ``keys`` before the next attempt."""
        out = {}
        for key in keys:
            base, added = self.base.get(key, ZERO), self.added.get(key)
            if added is None:
                if key in self.base:
                    out[key] = base
                continue
            out[key] = Counts(
                **{
                    name: {w: getattr(base, name)[w] + added[name][w] for w in WINDOWS}
                    for name in ("attempts", "declines", "distinct_cards")
                }
            )
        return out

    def attempt(self, *, keys: list[str], card: str, ref: str) -> None:
        """Count an attempt of the batch (written by ``record``)."""
        keys = [k for k in dict.fromkeys(keys) if k]
        for key in keys:
            added = self.added.setdefault(key, _zero())
            for w in WINDOWS:
                added["attempts"][w] += 1
                seen = self.seen.setdefault((key, card), set())
                if card and w not in seen:
                    added["distinct_cards"][w] += 1
                    seen.add(w)
        self.attempts.append((keys, card, ref))

    def record(self) -> None:
        """Write the batch's attempts, as ``attempt_record`` writes each."""
        merchant_id, livemode = self.scope
        if _redis_url():
            records = [(keys, Kind.ATTEMPT, card, ref) for keys, card, ref in self.attempts if keys]
            _redis_record_many(merchant_id, livemode, records)
            return
        now = timezone.now()
        VelocityEvent.objects.bulk_create(
            VelocityEvent(
                merchant_id=merchant_id,
                livemode=livemode,
                key=key,
                kind=Kind.ATTEMPT,
                card=card,
                at=now,
            )
            for keys, card, _ in self.attempts
            for key in keys
        )


def _zero() -> dict[str, dict[str, int]]:
    return {name: dict.fromkeys(WINDOWS, 0) for name in ("attempts", "declines", "distinct_cards")}
