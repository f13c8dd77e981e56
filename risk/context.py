"""The shopper behind the current request: address and country, for the screening.

``ShopperContextMiddleware`` binds them for each request; the screening reads them (a payment
made outside a request, such as a renewal, has none).

- Hosted checkout: the client's address (``backoffice.client_ip.client_ip``, which believes
  ``X-Forwarded-For`` only as far as the trusted proxies go).
- API: the caller is the merchant's server, whose address says nothing about the shopper. The
  merchant passes the shopper's address in the ``Shopper-Ip`` header (ignored if malformed);
  without it, no address is used, so that a merchant's whole traffic is never counted as one
  source.
- Country: the trusted proxy's country header (``RISK_IP_COUNTRY_HEADER``) when the request came
  through the trusted proxies, else the offline ranges of ``risk.geo``.
"""

from __future__ import annotations

import ipaddress
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings

from backoffice.client_ip import client_ip, through_trusted_proxies

from .geo import ip_country

SHOPPER_IP_HEADER = "HTTP_SHOPPER_IP"


@dataclass(frozen=True)
class Shopper:
    ip: str = ""
    country: str = ""


NOBODY = Shopper()
_current: ContextVar[Shopper] = ContextVar("risk_shopper", default=NOBODY)


def shopper_current() -> Shopper:
    return _current.get()


def shopper_bind(shopper: Shopper):
    """Bind ``shopper`` to the current context; return the token ``shopper_reset`` takes."""
    return _current.set(shopper)


def shopper_reset(token) -> None:
    _current.reset(token)


def shopper_for(request) -> Shopper:
    """Return the shopper of ``request`` (see the module docstring)."""
    if request.path.startswith("/api/"):
        ip = _valid_ip(request.META.get(SHOPPER_IP_HEADER, ""))
    else:
        ip = client_ip(request) or ""
    country = ""
    header = getattr(settings, "RISK_IP_COUNTRY_HEADER", "")
    if header and through_trusted_proxies(request) and not request.path.startswith("/api/"):
        value = request.META.get("HTTP_" + header.upper().replace("-", "_"), "").strip().upper()
        country = value if len(value) == 2 and value.isalpha() and value != "XX" else ""
    return Shopper(ip=ip, country=country or ip_country(ip))


def _valid_ip(value: str) -> str:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return ""
