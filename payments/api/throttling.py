"""Per-API-key rate limit, counted in the default cache (Redis when ``REDIS_URL`` is set)."""

from __future__ import annotations

import logging

from django.conf import settings
from redis.exceptions import RedisError
from rest_framework.throttling import SimpleRateThrottle

logger = logging.getLogger(__name__)


class ApiKeyRateThrottle(SimpleRateThrottle):
    """Limit each API key to ``PAYMENTS_API_THROTTLE_RATE`` (e.g. ``"100/s"``).

    An unreachable cache lets the request through (logged): the limit protects the API, so
    losing it for the length of a cache outage is better than refusing every merchant.
    """

    scope = "api_key"

    def get_rate(self) -> str | None:
        return settings.PAYMENTS_API_THROTTLE_RATE

    def get_cache_key(self, request, view) -> str | None:
        key = getattr(request.auth, "public_id", None)
        if key is None:
            return None  # unauthenticated requests are refused before they cost anything
        return self.cache_format % {"scope": self.scope, "ident": key}

    def allow_request(self, request, view) -> bool:
        try:
            return super().allow_request(request, view)
        except (RedisError, OSError) as err:
            logger.warning("rate limit not checked, cache unreachable: %s", type(err).__name__)
            return True
