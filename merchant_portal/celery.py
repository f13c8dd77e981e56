import os

from celery import Celery
from celery.signals import worker_init, worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "merchant_portal.settings")

app = Celery("merchant_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect  # the solo pool runs tasks in the main process
@worker_process_init.connect
def _worker_database_timeouts(**kwargs) -> None:
    """Workers run settlement and sweeps: the long statement and lock limits, not the web's."""
    from .database import timeouts_apply

    timeouts_apply("worker")


@app.task(name="merchant_portal.ping")
def ping(token: str) -> str:
    """Echo a token; the test tiers use it to prove a real worker consumes the broker."""
    from django.core.cache import cache

    cache.set(f"celery-ping:{token}", "pong", 60)
    return token
