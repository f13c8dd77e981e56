"""The address of the client behind the platform's own proxies, for lockouts and the audit log."""

from __future__ import annotations

import ipaddress

from django.conf import settings


def client_ip(request) -> str | None:
    """Return the client's address.

    With no trusted proxy (``BACKOFFICE_TRUSTED_PROXY_COUNT`` 0) that is ``REMOTE_ADDR``. Behind
    N proxies that each append the address they saw to ``X-Forwarded-For``, it is the N-th entry
    from the right: the one the outermost proxy wrote. Entries left of it are whatever the client
    sent and are never trusted, so a client cannot pick the address it is locked out by.
    """
    if request is None:
        return None
    remote = request.META.get("REMOTE_ADDR") or None
    count = settings.BACKOFFICE_TRUSTED_PROXY_COUNT
    if not count:
        return remote
    hops = _forwarded_hops(request)
    if len(hops) < count:
        return remote  # not through the proxies: their own address is all there is
    try:
        return str(ipaddress.ip_address(hops[-count]))
    except ValueError:
        return remote


def through_trusted_proxies(request) -> bool:
    """Return True when the request came through the ``BACKOFFICE_TRUSTED_PROXY_COUNT``
    proxies (each appended a hop to ``X-Forwarded-For``): headers they set may be believed.

    With no trusted proxy configured, nothing in front of the app vouches for any header.
    """
    count = settings.BACKOFFICE_TRUSTED_PROXY_COUNT
    return bool(count) and len(_forwarded_hops(request)) >= count


def _forwarded_hops(request) -> list[str]:
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    return [hop for hop in hops if hop]
