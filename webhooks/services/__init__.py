"""Webhooks: a merchant's events, signed, to the HTTPS endpoints it registers.

Every committed event gets one delivery per enabled endpoint of its merchant and mode that
subscribes to its type; each delivery is attempted by a Celery task and retried on a schedule
until it succeeds or gives up, every attempt recorded. The database is the queue of record: a
sweep sends again the deliveries whose task was lost. The protocol merchants see is described in
``docs/webhooks.md``.
"""

from .attempts import (
    RETRY_JITTER,
    RETRY_SCHEDULE,
    AttemptResult,
    delivery_attempt,
    endpoint_batch_attempt,
    retry_after_seconds,
    retry_delay,
)
from .deliveries import (
    LOST_TASK_GRACE,
    deliveries_create_for_event,
    deliveries_send,
    deliveries_write,
    delivery_restart,
    endpoint_redeliver_failed,
    event_redeliver,
    webhooks_sweep,
)
from .endpoints import (
    DISABLED_BY_MERCHANT,
    EVENT_TYPES,
    MAX_ENDPOINTS,
    endpoint_limit_check,
    events_validate,
    webhook_endpoint_create,
    webhook_endpoint_delete,
    webhook_endpoint_disable,
    webhook_endpoint_rotate_secret,
    webhook_endpoint_update,
)

__all__ = [
    "DISABLED_BY_MERCHANT",
    "EVENT_TYPES",
    "LOST_TASK_GRACE",
    "MAX_ENDPOINTS",
    "RETRY_JITTER",
    "RETRY_SCHEDULE",
    "AttemptResult",
    "deliveries_create_for_event",
    "deliveries_send",
    "deliveries_write",
    "delivery_attempt",
    "delivery_restart",
    "endpoint_batch_attempt",
    "endpoint_limit_check",
    "endpoint_redeliver_failed",
    "event_redeliver",
    "events_validate",
    "retry_after_seconds",
    "retry_delay",
    "webhook_endpoint_create",
    "webhook_endpoint_delete",
    "webhook_endpoint_disable",
    "webhook_endpoint_rotate_secret",
    "webhook_endpoint_update",
    "webhooks_sweep",
]
