"""Reads of the request log."""

from __future__ import annotations

from django.db.models import QuerySet

from payments.models import Merchant

from .models import RequestLog


def request_log_list(*, merchant: Merchant, livemode: bool) -> QuerySet[RequestLog]:
    """Return the merchant's logged API requests in the mode, newest first."""
    return RequestLog.objects.filter(merchant=merchant, livemode=livemode).order_by(
        "-created", "-id"
    )
