"""Per-API-key rate limit, counted in the default cache (Redis when ``REDIS_URL`` is set)."""

from __future__ import annotations

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle


class ApiKeyRateThrottle(SimpleRateThrottle):
    """Limit each API key to ``PAYMENTS_API_THROTTLE_RATE`` (e.g. ``"100/s"``)."""

    scope = "api_key"

    def get_rate(self) -> str | None:
        return settings.PAYMENTS_API_THROTTLE_RATE

    def get_cache_key(self, request, view) -> str | None:
        key = getattr(request.auth, "public_id", None)
        if key is None:
            return None  # unauthenticated requests are refused before they cost anything
        return self.cache_format % {"scope": self.scope, "ident": key}
