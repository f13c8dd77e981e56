"""Events: an append-only record of every state change, written in the same transaction."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Max

from ..models import Event
from ..representations import object_data


def event_record(*, obj, type: str) -> Event:  # noqa: A002 - "type" is the event vocabulary
    """Record ``type`` for ``obj`` (locked by the caller) and hand it to webhooks on commit."""
    last = Event.objects.filter(object_id=obj.public_id).aggregate(m=Max("sequence"))["m"]
    event = Event.objects.create(
        merchant_id=obj.merchant_id,
        livemode=obj.livemode,
        type=type,
        object_type=type.split(".", 1)[0],
        object_id=obj.public_id,
        sequence=(last or 0) + 1,
        data=object_data(obj),
    )
    transaction.on_commit(lambda: _dispatch(event.pk))
    return event


def _dispatch(event_pk: int) -> None:
    from ..tasks import event_dispatch_task

    event_dispatch_task.delay(event_pk)
