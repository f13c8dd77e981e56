"""Risk background work: thin tasks over services, idempotent, found again by beat."""

from celery import shared_task

from . import velocity
from .services.disputes import disputes_open_due


@shared_task
def velocity_purge_task() -> int:
    return velocity.events_purge()


@shared_task
def disputes_open_due_task() -> int:
    """Open the sandbox issuer's disputes that are due (beat, every minute)."""
    return disputes_open_due()
