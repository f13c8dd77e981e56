"""Risk background work: thin tasks over services, idempotent, found again by beat."""

from celery import shared_task

from . import velocity


@shared_task
def velocity_purge_task() -> int:
    return velocity.events_purge()
