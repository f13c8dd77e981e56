"""Binds the request's shopper (``risk.context``) for the screening of the payments it makes."""

from __future__ import annotations

from .context import shopper_bind, shopper_for, shopper_reset


class ShopperContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = shopper_bind(shopper_for(request))
        try:
            return self.get_response(request)
        finally:
            shopper_reset(token)
