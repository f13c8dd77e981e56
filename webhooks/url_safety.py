"""Which URLs may receive webhooks: https, and only public addresses (the SSRF guard).

Unless ``WEBHOOKS_ALLOW_PRIVATE_URLS`` is on, a URL must use https on a web port
(``WEBHOOKS_PORTS``: 443 and 8443) and every address its host resolves to must be public. The check is made at registration and again at each connection
(``webhooks.transport`` connects to the address checked here, so a name re-resolved to a
private address in between is never reached).
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

import httpx
from django.conf import settings

from payments.errors import ValidationFailed
from payments.validation import FieldError

URL_MAX_LENGTH = 2000


class UnsafeWebhookUrl(Exception):
    """The URL may not be called: wrong scheme, or it resolves to a non-public address."""


def address_is_public(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Return True if ``ip`` is a globally routable unicast address (IPv4-mapped unwrapped)."""
    if isinstance(ip, ipaddress.IPv6Address):
        for embedded in (ip.ipv4_mapped, ip.sixtofour):
            if embedded is not None and not address_is_public(embedded):
                return False
        if ip.teredo is not None:
            return False
    return not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global
    )


def addresses_resolve(host: str, port: int) -> list[str]:
    """Return the addresses ``host`` resolves to, refusing non-public ones unless allowed.

    Every address must be public: a name with one private address among public ones is refused.
    Raise ``UnsafeWebhookUrl`` for a refused or unresolvable name.
    """
    host = host.strip("[]")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnsafeWebhookUrl(f"The host name could not be resolved ({exc}).") from None
    addresses: list[str] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        if sockaddr[0] not in addresses:
            addresses.append(sockaddr[0])
    if not addresses:
        raise UnsafeWebhookUrl("The host name could not be resolved.")
    if not settings.WEBHOOKS_ALLOW_PRIVATE_URLS:
        for address in addresses:
            if not address_is_public(ipaddress.ip_address(address.split("%", 1)[0])):
                raise UnsafeWebhookUrl(
                    "The URL resolves to a private, loopback, link-local, multicast or reserved "
                    "address; webhooks are only sent to public addresses."
                )
    return addresses


def url_problem(url: str) -> str | None:
    """Return why ``url`` cannot receive webhooks (its shape and scheme only), or None."""
    if len(url) > URL_MAX_LENGTH:
        return f"A URL has at most {URL_MAX_LENGTH} characters."
    if any(char.isspace() or not char.isprintable() for char in url):
        # Would be refused by the HTTP client at every delivery (or, CR LF, inject a header).
        return "A URL may not contain spaces or control characters."
    try:
        parts = urlsplit(url)
        port = parts.port
        # The client that sends must take it too: an IDNA host name it cannot encode or
        # decode would fail every delivery.
        host = httpx.URL(url).host
    except (ValueError, httpx.InvalidURL):  # IDNAError is a ValueError
        return "Enter a valid URL."
    allowed = ("https", "http") if settings.WEBHOOKS_ALLOW_PRIVATE_URLS else ("https",)
    if parts.scheme not in allowed:
        return "The URL must use https." if len(allowed) == 1 else "The URL must use https or http."
    if not parts.hostname or not host:
        return "Enter a valid URL."
    if parts.username is not None or parts.password is not None:
        return "The URL must not carry a user name or password."
    if parts.fragment:
        return "The URL must not have a #fragment."
    if port == 0:
        return "Enter a valid URL."
    return None


def port_problem(url: str) -> str | None:
    """Return why the port of a well-formed ``url`` may not be called, or None.

    Only web ports are reached in production: a URL naming another port (ssh, smtp, a
    database) would let the platform probe or talk to services that are no web server.
    """
    if settings.WEBHOOKS_ALLOW_PRIVATE_URLS:
        return None
    port = urlsplit(url).port
    allowed = settings.WEBHOOKS_PORTS
    if port is None or port in allowed:
        return None
    ports = ", ".join(str(p) for p in allowed[:-1]) + f" or {allowed[-1]}"
    return f"Webhooks are sent to port {ports} only; the URL names port {port}."


def url_validate(url: str) -> str:
    """Return ``url`` if it may receive webhooks; raise ``ValidationFailed`` (field ``url``)."""
    url = (url or "").strip()
    problem = url_problem(url) if url else "A URL is required."
    if problem is None and (port := port_problem(url)):
        raise ValidationFailed([FieldError("url", "port_not_allowed", port)])
    if problem is None and not settings.WEBHOOKS_ALLOW_PRIVATE_URLS:
        parts = urlsplit(url)
        try:
            addresses_resolve(parts.hostname, parts.port or 443)
        except UnsafeWebhookUrl as exc:
            problem = str(exc)
    if problem:
        raise ValidationFailed([FieldError("url", "invalid_url", problem)])
    return url
