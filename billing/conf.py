"""Billing's settings and their defaults, read at call time.

A deployment overrides any of them in Django settings under the same name; the defaults live
here so that the project's settings carry only what differs by environment. What they mean is in
``billing.dunning`` and ``billing.services``.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings

DEFAULTS = {
    # Days after the first failed charge of an invoice at which it is tried again: 4 retries
    # over 14 days. Merchants may set their own (``BillingSettings``).
    "BILLING_RETRY_SCHEDULE_DAYS": (1, 3, 7, 14),
    # What a subscription becomes when dunning gives up: "unpaid" or "canceled".
    "BILLING_DUNNING_FINAL_STATUS": "unpaid",
    "BILLING_CARD_ATTEMPTS_MAX": 15,
    "BILLING_CARD_ATTEMPTS_WINDOW": timedelta(days=30),
    # A start whose first payment failed ends after this (``incomplete`` → ``canceled``).
    "BILLING_INCOMPLETE_EXPIRY": timedelta(hours=23),
    # ``invoice.upcoming`` and its e-mail go this long before a renewal.
    "BILLING_UPCOMING_NOTICE": timedelta(days=3),
    # A charge attempt left pending this long (its worker died) is finished by the sweep.
    "BILLING_ATTEMPT_STALE_AFTER": timedelta(minutes=5),
    "BILLING_NOTICE_RESEND_AFTER": timedelta(minutes=1),
    "BILLING_SWEEP_BATCH": 500,
    # Due subscriptions claimed, opened, charged (in one ``saved_charges_run`` call) and applied
    # together by the engine; 1 steps them one by one (``billing.services.engine``).
    "BILLING_RENEWAL_BATCH": 100,
    "BILLING_UPDATE_LINK_MAX_AGE": timedelta(days=30),
}


def setting(name: str):
    """Return the setting ``name`` from Django settings, else its default here."""
    return getattr(settings, name, DEFAULTS[name])
