from celery import shared_task

from .services import request_logs_prune
from .signing import seen_signatures_prune


@shared_task
def request_logs_prune_task() -> int:
    """Delete request logs past their retention, in batches (beat, hourly)."""
    return request_logs_prune()


@shared_task
def seen_signatures_prune_task() -> int:
    """Delete accepted request signatures too old to be replayed anyway (beat, hourly)."""
    return seen_signatures_prune()
