import os

from celery import Celery

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
