import logging
import os

from celery import Celery

logger = logging.getLogger(__name__)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "merchant_portal.settings")

app = Celery("merchant_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="merchant_portal.ping")
def ping(token: str) -> str:
    """Echo a token; the test tiers use it to prove a real worker consumes the broker."""
    from django.core.cache import cache

    cache.set(f"celery-ping:{token}", "pong", 60)
    return token


def send_on_commit(task, *args, countdown: int | None = None) -> None:
    """Send ``task(*args)`` once the current transaction commits (at once outside one).

    An unreachable broker is logged, not raised: the caller's rows are committed and a sweep
    (refunds, webhook deliveries) sends the work again once the broker is back, so the request
    that made them still gets its answer.
    """
    from django.db import transaction
    from kombu.exceptions import OperationalError

    def send() -> None:
        try:
            task.apply_async(args, countdown=countdown)
        except OperationalError:
            logger.warning("broker unreachable: %s%r left to its sweep", task.name, args)

    transaction.on_commit(send)
