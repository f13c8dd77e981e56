"""Where a card was issued and where a shopper is: offline tables, no look-up service.

**Card country** comes from the BIN (the card's first digits) by the longest prefix in
``BIN_COUNTRIES``: the sandbox cards (``4242…``, ``4000…`` and the others of
``institutions.catalogue``) are US cards, like the test cards they copy; the ``40000…`` country
test cards (``4000 0082 6000 0000`` GB, ``4000 0027 6000 0016`` DE…) are issued in their country.
``RISK_BIN_COUNTRIES`` (a dict of prefix → ISO code) adds to or overrides the table: a live
deployment loads its acquirer's BIN file there.

**IP country**, in this order:
1. a country header set by the trusted proxy in front (``RISK_IP_COUNTRY_HEADER``, e.g.
   ``CF-IPCountry``), believed only when the request came through the
   ``TRUSTED_PROXY_COUNT`` proxies (``backoffice.client_ip.through_trusted_proxies``);
2. ``RISK_IP_COUNTRIES`` (CIDR → ISO code) from the settings;
3. the test ranges below: the documentation networks of RFC 5737 and RFC 3849, so that tests
   and the sandbox can shop "from" a country without a geo-IP database.
An address none of these knows has no country (``""``); rules comparing countries should test
``ip_country != ""`` when that matters.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings

BIN_COUNTRIES: dict[str, str] = {
    "4242": "US",
    "4000": "US",
    "5555": "US",
    "2223": "US",
    "3782": "US",
    "6011": "US",
    "3566": "JP",
    "6200": "CN",
    "3056": "US",
    # Country test cards (same numbering as the well-known ones): 4000 00 + ISO numeric.
    "4000000760": "BR",
    "4000001240": "CA",
    "4000002500": "FR",
    "4000002760": "DE",
    "4000003800": "IT",
    "4000007240": "ES",
    "4000008260": "GB",
    "4000003920": "JP",
    "4000004840": "MX",
    "4000005660": "NG",
}

TEST_IP_COUNTRIES: dict[str, str] = {
    "192.0.2.0/25": "US",  # TEST-NET-1
    "192.0.2.128/25": "CA",
    "198.51.100.0/25": "GB",  # TEST-NET-2
    "198.51.100.128/25": "FR",
    "203.0.113.0/25": "DE",  # TEST-NET-3
    "203.0.113.128/25": "NG",
    "2001:db8::/33": "US",  # IPv6 documentation prefix
    "2001:db8:8000::/33": "DE",
}

#: Throw-away mailbox providers (a feature of the score, and of rules as ``email_disposable``).
DISPOSABLE_EMAIL_DOMAINS = frozenset(
    {
        "mailinator.com",
        "guerrillamail.com",
        "10minutemail.com",
        "tempmail.com",
        "temp-mail.org",
        "yopmail.com",
        "trashmail.com",
        "sharklasers.com",
        "getnada.com",
        "dispostable.com",
    }
)


def card_country(pan_prefix: str) -> str:
    """Return the ISO country of the card whose number starts with ``pan_prefix`` ("" unknown)."""
    table = {**BIN_COUNTRIES, **getattr(settings, "RISK_BIN_COUNTRIES", {})}
    for size in range(min(len(pan_prefix), 10), 3, -1):
        country = table.get(pan_prefix[:size])
        if country:
            return country
    return ""


@lru_cache(maxsize=8)
def _networks(items: tuple[tuple[str, str], ...]) -> list[tuple[ipaddress._BaseNetwork, str]]:
    return [(ipaddress.ip_network(cidr, strict=False), country) for cidr, country in items]


def ip_country(ip: str) -> str:
    """Return the ISO country of ``ip`` from the configured and test ranges ("" unknown)."""
    if not ip:
        return ""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ""
    configured = tuple(sorted(getattr(settings, "RISK_IP_COUNTRIES", {}).items()))
    for network, country in _networks(configured) + _networks(
        tuple(sorted(TEST_IP_COUNTRIES.items()))
    ):
        if address.version == network.version and address in network:
            return country
    return ""


def ip_in_range(ip: str, cidr: str) -> bool:
    try:
        address, network = ipaddress.ip_address(ip), ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        return False
    return address.version == network.version and address in network


def email_domain(email: str) -> str:
    return email.rpartition("@")[2].lower() if "@" in email else ""
