"""Shared argument parsing of the risk commands."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.management.base import CommandError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from payments.models import Merchant


def moment(text: str | None, *, default: datetime) -> datetime:
    if not text:
        return default
    value = parse_datetime(text) or (
        parse_datetime(text + "T00:00:00") if len(text) == 10 else None
    )
    if value is None:
        raise CommandError(f"Not a date or time: {text!r} (use 2026-12-01 or an ISO time).")
    return value if timezone.is_aware(value) else timezone.make_aware(value, timezone.UTC)


def period(opts) -> tuple[datetime, datetime]:
    now = timezone.now()
    until = moment(opts.get("until"), default=now)
    since = moment(opts.get("since"), default=until - timedelta(days=opts.get("days") or 30))
    return since, until


def merchant(public_id: str) -> Merchant:
    found = Merchant.objects.filter(public_id=public_id).first()
    if found is None:
        raise CommandError(f"No merchant {public_id!r}.")
    return found
