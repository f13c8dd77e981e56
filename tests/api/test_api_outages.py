"""A cache outage is not an API outage."""

import logging

UNREACHABLE_REDIS = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
    }
}


def test_an_unreachable_cache_lets_api_calls_through_without_a_rate_limit(api, settings, caplog):
    settings.CACHES = UNREACHABLE_REDIS
    settings.PAYMENTS_API_THROTTLE_RATE = "1/min"

    with caplog.at_level(logging.WARNING, logger="payments.api.throttling"):
        first = api.get("/api/v1/orders")
        second = api.get("/api/v1/orders")

    assert (first.status_code, second.status_code) == (200, 200)
    assert "rate limit not checked, cache unreachable" in caplog.text
