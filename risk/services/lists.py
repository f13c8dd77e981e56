"""Block and allow lists, and the card-testing guard that adds to the block list.

A list entry names a card fingerprint, an e-mail or its domain, an IP address or range (CIDR), a
BIN, a country (the card's or the shopper's) or an order. The card-testing guard blocks the IP
(and the order) that many declined attempts with several cards came from, for
``RISK_CARD_TESTING_BLOCK``: the attacker's further tries are declined ``card_testing`` before
any institution is asked, while shoppers from anywhere else pay as before, and a shopper who
mistypes a few times never gets near the thresholds.
"""

from __future__ import annotations

import ipaddress
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from payments.errors import NotFound, ValidationFailed
from payments.validation import FieldError

from ..geo import ip_in_range
from ..models import ListEntry

Kind = ListEntry.Kind


def _guard(name: str, default):
    return getattr(settings, name, default)


def entries_matching(*, merchant_id: int, livemode: bool, features: dict) -> list[ListEntry]:
    """Return the unexpired entries that match the payment's features (one query)."""
    return entries_matching_many(merchant_id=merchant_id, livemode=livemode, features=[features])[0]


def entries_matching_many(
    *, merchant_id: int, livemode: bool, features: list[dict]
) -> list[list[ListEntry]]:
    """``entries_matching`` of each payment's features, all in one query."""
    now = timezone.now()
    wanted = [_candidates(f) for f in features]
    values: dict[str, set[str]] = {}  # each kind's values wanted by any of the payments
    for candidates, countries in wanted:
        for kind, value in candidates.items():
            if value:
                values.setdefault(kind, set()).add(value)
        if countries:
            values.setdefault(Kind.COUNTRY, set()).update(countries)
    query = Q(pk__in=[])
    if any(f.get("ip") for f in features):
        query |= Q(kind=Kind.IP_RANGE)
    for kind, wanted_values in values.items():
        query |= Q(kind=kind, value__in=sorted(wanted_values))
    rows = list(
        ListEntry.objects.filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=now),
            query,
            merchant_id=merchant_id,
            livemode=livemode,
        ).order_by("-list", "-created")  # "block" after "allow": allow entries come first
    )
    return [
        [e for e in rows if _entry_matches(e, f, candidates, countries)]
        for f, (candidates, countries) in zip(features, wanted, strict=True)
    ]


def _candidates(features: dict) -> tuple[dict, set]:
    candidates = {
        Kind.CARD_FINGERPRINT: features.get("card_fingerprint", ""),
        Kind.EMAIL: features.get("email", ""),
        Kind.EMAIL_DOMAIN: features.get("email_domain", ""),
        Kind.IP: features.get("ip", ""),
        Kind.BIN: features.get("card_bin", ""),
        Kind.ORDER: features.get("order", ""),
    }
    countries = {features.get("card_country", ""), features.get("ip_country", "")} - {""}
    return candidates, countries


def _entry_matches(entry: ListEntry, features: dict, candidates: dict, countries: set) -> bool:
    if entry.kind == Kind.IP_RANGE:
        return bool(features.get("ip")) and ip_in_range(features.get("ip", ""), entry.value)
    if entry.kind == Kind.COUNTRY:
        return entry.value in countries
    value = candidates.get(entry.kind, "")
    return bool(value) and entry.value == value


def card_testing_guard(*, payment, features: dict) -> ListEntry | None:
    """Block the source of a card-testing run; return the new block entry, or None.

    A source is an IP address or an order. It is a run when, within the last
    ``RISK_CARD_TESTING_WINDOW`` minutes' counts (10), at least ``RISK_CARD_TESTING_DECLINES``
    payments (6) were declined and ``RISK_CARD_TESTING_CARDS`` distinct cards (3) tried.
    """
    declines = _guard("RISK_CARD_TESTING_DECLINES", 6)
    cards = _guard("RISK_CARD_TESTING_CARDS", 3)
    sources = []
    if (
        features.get("ip")
        and features["ip_declines_10m"] >= declines
        and features["ip_distinct_cards_10m"] >= cards
    ):
        sources.append((Kind.IP, features["ip"], features["ip_declines_10m"]))
    if features["order_declines_10m"] >= declines and features["order_distinct_cards_10m"] >= cards:
        sources.append((Kind.ORDER, features["order"], features["order_declines_10m"]))
    entry = None
    until = timezone.now() + _guard("RISK_CARD_TESTING_BLOCK", timedelta(hours=1))
    for kind, value, count in sources:
        entry = ListEntry.objects.create(
            merchant_id=payment.merchant_id,
            livemode=payment.livemode,
            list=ListEntry.List.BLOCK,
            kind=kind,
            value=value,
            source=ListEntry.Source.CARD_TESTING,
            reason=f"card testing: {count} declined payments with several cards in 10 minutes",
            expires_at=until,
        )
    return entry


def _value_errors(kind: str, value: str) -> tuple[str, list[FieldError]]:
    value = value.strip()
    if kind == Kind.IP:
        try:
            return str(ipaddress.ip_address(value)), []
        except ValueError:
            return value, [FieldError("value", "invalid", "Enter an IP address.")]
    if kind == Kind.IP_RANGE:
        try:
            return str(ipaddress.ip_network(value, strict=False)), []
        except ValueError:
            return value, [FieldError("value", "invalid", "Enter a range such as 203.0.113.0/24.")]
    if kind == Kind.BIN and not (value.isdigit() and len(value) == 6):
        return value, [FieldError("value", "invalid", "A BIN is the card's first six digits.")]
    if kind == Kind.COUNTRY:
        value = value.upper()
        if not (len(value) == 2 and value.isalpha()):
            return value, [FieldError("value", "invalid", "Enter an ISO 3166 code such as DE.")]
    if kind in (Kind.EMAIL, Kind.EMAIL_DOMAIN):
        value = value.lower()
    if not value:
        return value, [FieldError("value", "required", "Enter a value.")]
    return value, []


@transaction.atomic
def list_entry_add(
    *,
    merchant,
    livemode: bool,
    list: str,  # noqa: A002 - the list's name in the API
    kind: str,
    value: str,
    reason: str = "",
    expires_at=None,
) -> ListEntry:
    value, errors = _value_errors(kind, value)
    if errors:
        raise ValidationFailed(errors)
    return ListEntry.objects.create(
        merchant=merchant,
        livemode=livemode,
        list=list,
        kind=kind,
        value=value,
        reason=reason,
        expires_at=expires_at,
    )


@transaction.atomic
def list_entry_remove(*, merchant, livemode: bool, entry_id: str) -> None:
    deleted, _ = ListEntry.objects.filter(
        merchant=merchant, livemode=livemode, public_id=entry_id
    ).delete()
    if not deleted:
        raise NotFound("No such list entry.")
