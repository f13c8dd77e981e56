"""Events: an append-only record of every state change, written in the same transaction.

The events of one transaction reach the broker as ONE message on commit (``events_dispatch_task``
with all their ids), and none at all when no enabled webhook endpoint of their merchant and mode
could want them: one query at commit time decides, so an endpoint created before the commit still
gets the events. If the broker cannot take the message, the deliveries are written at once and
the webhook sweep sends them later: the events' transaction has committed either way.
"""

from __future__ import annotations

import logging
from functools import cache

from django.db import connection, transaction
from kombu.exceptions import OperationalError

from ..models import Event
from ..representations import object_data

logger = logging.getLogger(__name__)

# The columns an event INSERT writes, in order (every concrete field but the id).
_FIELDS = [f for f in Event._meta.concrete_fields if not f.primary_key]


@cache
def _insert_sql(computed: bool) -> str:
    """The event INSERT, written once from the model's table and columns.

    Every state change records an event (five per card payment), and building this statement
    through the ORM (``create`` with a ``Subquery`` for the sequence) cost five times running it.
    ``computed``: the sequence is one past the object's last, by a subquery inside the INSERT.
    """
    qn = connection.ops.quote_name
    table = qn(Event._meta.db_table)
    values = ["%s"] * len(_FIELDS)
    if computed:
        values[_FIELDS.index(Event._meta.get_field("sequence"))] = (
            f"COALESCE((SELECT MAX(e.{qn('sequence')}) FROM {table} e"
            f" WHERE e.{qn('object_id')} = %s), 0) + 1"
        )
    columns = ", ".join(qn(f.column) for f in _FIELDS)
    return (
        f"INSERT INTO {table} ({columns}) VALUES ({', '.join(values)})"
        f" RETURNING {qn(Event._meta.pk.column)}"
    )


def event_record(
    *,
    obj,
    type: str,  # noqa: A002 - "type" is the event vocabulary
    sequence: int | None = None,
    data: dict | None = None,
) -> Event:
    """Record ``type`` for ``obj`` (locked by the caller) and hand it to webhooks on commit.

    The sequence is one past the object's last event, computed by the INSERT itself (the
    caller's row lock on the object keeps it unique); a new object passes ``sequence=1``.
    ``data`` is the object's representation when the caller already has it.
    """
    computed = sequence is None
    event = Event(
        merchant_id=obj.merchant_id,
        livemode=obj.livemode,
        type=type,
        object_type=type.split(".", 1)[0],
        object_id=obj.public_id,
        sequence=sequence,
        data=object_data(obj) if data is None else data,
    )
    params = [
        obj.public_id
        if computed and field.name == "sequence"
        else field.get_db_prep_save(field.pre_save(event, add=True), connection)
        for field in _FIELDS
    ]
    with connection.cursor() as cursor:
        cursor.execute(_insert_sql(computed), params)
        event.pk = cursor.fetchone()[0]
    event._state.adding, event._state.db = False, connection.alias
    if computed:
        vars(event).pop("sequence")  # deferred: read back from the row only if someone asks
    if connection.in_atomic_block:
        _batch_for_commit().add(event)
    else:  # autocommit: the event is already committed
        _publish([(event.pk, event.merchant_id, event.livemode, event.type)])
    return event


class _CommitBatch:
    """The events recorded in one transaction, published together when it commits."""

    def __init__(self, key: tuple) -> None:
        self.key = key
        self.events: list[tuple[int, int, bool, str]] = []
        self.flushed = False

    def add(self, event: Event) -> None:
        self.events.append((event.pk, event.merchant_id, event.livemode, event.type))

    def flush(self) -> None:
        if not self.flushed:
            self.flushed = True
            _publish(self.events)


def _publish(events: list[tuple[int, int, bool, str]]) -> None:
    pks = _wanted(events)
    if not pks:
        return
    from ..tasks import events_dispatch_task

    try:
        events_dispatch_task.delay(pks)
    except OperationalError:
        # The broker is unreachable and the events are committed: the request that made them
        # must not fail now, and they must not be lost. Their deliveries are written here (the
        # database is the outbox); the webhook sweep sends them once the broker is back.
        from ..webhooks import deliveries_create_for_event

        logger.warning("broker unreachable: deliveries of %s events left to the sweep", len(pks))
        for pk in pks:
            deliveries_create_for_event(event_pk=pk, enqueue=False)


def _batch_for_commit() -> _CommitBatch:
    """The batch of the current transaction (and savepoint), registered once with ``on_commit``.

    A batch belongs to the savepoints open when it was made, exactly like its ``on_commit``
    callback: if one of them rolls back, Django drops the callback and the batch's events went
    with it. A batch that ran, or whose callback is gone, is replaced.
    """
    key = tuple(connection.savepoint_ids)
    pending = {func for _, func, _ in connection.run_on_commit}
    batches = {
        k: b
        for k, b in getattr(connection, "_events_commit_batches", {}).items()
        if not b.flushed and b.flush in pending
    }
    batch = batches.get(key)
    if batch is None:
        batch = batches[key] = _CommitBatch(key)
        transaction.on_commit(batch.flush)
    connection._events_commit_batches = batches
    return batch


def _wanted(events: list[tuple[int, int, bool, str]]) -> list[int]:
    """Ids of the events some enabled endpoint of their merchant and mode subscribes to."""
    from ..models import WebhookEndpoint

    merchant_ids = {merchant_id for _, merchant_id, _, _ in events}
    endpoints: dict[tuple[int, bool], list[WebhookEndpoint]] = {}
    for endpoint in WebhookEndpoint.objects.filter(merchant_id__in=merchant_ids, enabled=True).only(
        "merchant_id", "livemode", "enabled_events"
    ):
        endpoints.setdefault((endpoint.merchant_id, endpoint.livemode), []).append(endpoint)
    return [
        pk
        for pk, merchant_id, livemode, type_ in events
        if any(e.subscribes_to(type_) for e in endpoints.get((merchant_id, livemode), ()))
    ]
