"""Events: an append-only record of every state change, written in the same transaction.

Each event is announced twice: ``event_recorded`` inside its transaction (the webhooks app writes
its deliveries there, so that they commit with it), and, once the transaction commits,
``events_committed`` with the ids of all the transaction's events. An event recorded outside a
transaction is announced at once.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager

from django.db.models import Max, Subquery, Value
from django.db.models.functions import Coalesce

from backoffice.on_commit import on_commit_in_context

from ..models import Event
from ..representations import object_data
from ..signals import event_recorded, events_committed, events_recorded


def event_record(
    *,
    obj,
    type: str,  # noqa: A002 - "type" is the event vocabulary
    sequence: int | None = None,
    data: dict | None = None,
) -> Event:
    """Record ``type`` for ``obj`` (locked by the caller) and announce it once committed.

    The sequence is one past the object's last event, computed by the INSERT itself (the
    caller's row lock on the object keeps it unique); a new object passes ``sequence=1``.
    ``data`` is the object's representation when the caller already has it.

    Inside ``event_batch()`` the event is written with the batch's others at its end (its
    ``pk`` is set then); its data is the object's state now, as outside a batch.
    """
    event = Event(
        merchant_id=obj.merchant_id,
        livemode=obj.livemode,
        type=type,
        object_type=type.split(".", 1)[0],
        object_id=obj.public_id,
        sequence=sequence,
        data=object_data(obj) if data is None else data,
    )
    if obj.__class__.merchant.is_cached(obj):
        # The receivers read the merchant's configuration by its version (``config_cache``).
        event.merchant = obj.merchant
    batch = getattr(_local, "batch", None)
    if batch is not None:
        batch.append(event)
    else:
        _write([event])
    return event


def last_sequences(object_ids: list[str]) -> dict[str, int]:
    """The sequence of each object's last event (0 for none), in one query: with the objects
    locked by the caller, their next events can be given ``sequence`` without a subquery each."""
    last = dict.fromkeys(object_ids, 0)
    rows = (
        Event.objects.filter(object_id__in=object_ids)
        .values("object_id")
        .annotate(last=Max("sequence"))
        .values_list("object_id", "last")
        .order_by()
    )
    last.update(rows)
    return last


@contextmanager
def event_batch() -> Iterator[None]:
    """Write the events recorded inside in one INSERT when the block ends (inside the caller's
    transaction, before its commit); an inner batch joins the outer one. The ``event_recorded``
    receivers run then, in the order the events were recorded. If the block raises, its
    events are dropped with it. A savepoint rolled back inside the block would not take its
    events along: a block that catches an error from a savepoint and goes on is not a batch.
    """
    if getattr(_local, "batch", None) is not None:
        yield
        return
    _local.batch = batch = []
    try:
        yield
    finally:
        _local.batch = None
    if batch:
        _write(batch)


def _write(events: list[Event]) -> None:
    """Insert ``events`` in one statement; announce them.

    An event without a sequence gets one past its object's last: the INSERT reads that last
    one (a subquery), and the batch's earlier events of the same object count on top of it,
    since every row of one statement reads the rows as they were before it.
    """
    computed: list[Event] = []
    last_in_batch: dict[str, int] = {}  # the object's sequence so far in this batch
    offsets: dict[str, int] = {}  # the object's computed events so far in this batch
    for event in events:
        key = event.object_id
        if event.sequence is not None:
            last_in_batch[key] = event.sequence
            offsets.pop(key, None)
        elif key in last_in_batch:
            last_in_batch[key] = event.sequence = last_in_batch[key] + 1
        else:
            offsets[key] = offsets.get(key, 0) + 1
            last = Event.objects.filter(object_id=key).order_by("-sequence")
            event.sequence = (
                Coalesce(Subquery(last.values("sequence")[:1]), Value(0)) + offsets[key]
            )
            computed.append(event)
    Event.objects.bulk_create(events)
    for event in computed:
        # Deferred: read back from the row on first access, which most callers never make.
        del event.sequence
    events_recorded.send(sender=Event, events=events)
    for event in events:
        event_recorded.send(sender=Event, event=event)
        _announce_on_commit(event.pk)


class _Announcement:
    """The on-commit callback of one recorded event (an object, so it can be weakly referenced)."""

    __slots__ = ("__weakref__", "event_pk")

    def __init__(self, event_pk: int) -> None:
        self.event_pk = event_pk

    def __call__(self) -> None:
        _announce_from(self)


# This thread's announcements not yet made, in the order their events were recorded.
_local = threading.local()


def _pending() -> list[weakref.ref]:
    if not hasattr(_local, "pending"):
        _local.pending = []
    return _local.pending


def _announce_on_commit(event_pk: int) -> None:
    announcement = _Announcement(event_pk)
    _pending().append(weakref.ref(announcement))
    # In the context of the work that recorded it: the tasks it causes keep its request id.
    on_commit_in_context(announcement)


def _announce_from(announcement: _Announcement) -> None:
    """Announce this event and every one recorded after it in the thread, once.

    The first callback to run after a commit is that of the transaction's first event: the
    events recorded after it are of the same transaction, committed or rolled back with a
    savepoint (the listener reads them back and does not find those). The other callbacks
    find their event announced. Django drops the callbacks of a rolled-back transaction or
    savepoint: their references die and the events are forgotten. Events recorded before this
    one whose callbacks are still held stay pending: their transaction has not committed.
    """
    pending = [ref for ref in _pending() if ref() is not None]
    position = next((i for i, ref in enumerate(pending) if ref() is announcement), None)
    if position is None:
        _local.pending = pending
        return
    event_pks = [ref().event_pk for ref in pending[position:]]
    _local.pending = pending[:position]
    events_committed.send(sender=Event, event_pks=event_pks)
