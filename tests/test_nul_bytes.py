"""A NUL byte in any parameter of any address is a 4xx, never a 500 (issue 17, point 4).

PostgreSQL refuses NUL in text (``DataError``) where SQLite looks the value up and finds
nothing, so the walk runs on both. Every URL pattern is walked, with ``%00`` in each path
parameter in turn and in the query parameters the pages read.
"""

from __future__ import annotations

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

_PARAM = re.compile(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>[^)]*\)")
QUERY = "?order_id=%00&next=%00&mode=%00&token=%00"
# Public addresses answer a NUL with one of these; signed-in ones may send to the login page.
PUBLIC_ANSWERS = {400, 404, 405}


def _routes(patterns, prefix=""):
    for entry in patterns:
        route = str(entry.pattern).lstrip("^").rstrip("$").replace("\\", "")
        if isinstance(entry, URLResolver):
            yield from _routes(entry.url_patterns, prefix + route)
        elif isinstance(entry, URLPattern):
            yield prefix + route


def _addresses():
    """Return each route once per parameter, that parameter %00 and the others plausible."""
    addresses = set()
    for route in _routes(get_resolver().url_patterns):
        names = [m.group(0) for m in _PARAM.finditer(route)]
        filled = _PARAM.sub("x1", route)
        addresses.add("/" + filled + QUERY)
        for name in names:
            addresses.add("/" + _PARAM.sub("x1", route.replace(name, "%00", 1)))
            addresses.add("/" + _PARAM.sub("x1", route.replace(name, "a%00b", 1)))
    return sorted(addresses)


ADDRESSES = _addresses()


def _is_public(address: str) -> bool:
    return not address.startswith(("/admin/", "/api/")) or address.startswith(
        ("/admin/login/", "/admin/otp/setup/")
    )


def _walk(client):
    answers = {}
    for address in ADDRESSES:
        for method in (client.get, client.post):
            status = method(address).status_code
            # The readiness probe answers 503 while a service it checks is down.
            assert status < 500 or address.startswith("/readyz"), (address, status)
            if _is_public(address) and "%00" in address.split("?")[0]:
                assert status in PUBLIC_ANSWERS, (method.__name__, address, status)
            answers[address] = status
    return answers


def test_the_walk_reaches_the_checkout_and_demo_addresses():
    assert "/checkout/%00/" in ADDRESSES
    assert "/checkout/x1/payments/%00/verify" in ADDRESSES
    assert any(a.startswith("/demo/shop/thanks?") for a in ADDRESSES)


@pytest.mark.django_db
def test_nul_bytes_in_any_address_are_a_4xx_on_sqlite(client):
    _walk(client)


@pytest.mark.postgres
@pytest.mark.django_db
def test_nul_bytes_in_any_address_are_a_4xx_on_postgresql(client):
    _walk(client)
