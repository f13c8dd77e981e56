"""Dunning policy: what a decline means for the next charge. Pure functions and settings reads.

Each decline code falls in one category:

- ``retry_later``: the card may pay later (no funds today, a processing error): tried again on
  the merchant's schedule, by default 1, 3, 7 and 14 days after the first failure (4 retries
  over 14 days, ``BILLING_RETRY_SCHEDULE_DAYS``).
- ``after_update``: this card will not pay as it is (expired, wrong CVC, needs the holder):
  nothing is tried until the customer gives a new card through the link they are e-mailed;
  dunning ends on the schedule's last day if none comes.
- ``never``: the card is gone (lost, stolen, account closed): never tried again.

Whatever the category, one card is charged at most ``BILLING_CARD_ATTEMPTS_MAX`` (15) times
in ``BILLING_CARD_ATTEMPTS_WINDOW`` (30 days). After the last try the subscription becomes
``unpaid`` or ``canceled``, as the merchant set (``BILLING_DUNNING_FINAL_STATUS``).
"""

from __future__ import annotations

from dataclasses import dataclass

from .conf import setting
from .models import BillingSettings, ChargeAttempt

Category = ChargeAttempt.Category

RETRY_LATER_CODES = frozenset({"insufficient_funds", "processing_error", "card_declined"})
AFTER_UPDATE_CODES = frozenset(
    {
        "expired_card",
        "incorrect_cvc",
        "authentication_required",
        "off_session_consent_missing",
        "payment_method_missing",
        "payment_method_requires_action",
    }
)
NEVER_CODES = frozenset(
    {
        "lost_card",
        "stolen_card",
        "account_closed",
        "incorrect_number",
        "card_not_supported",
        "account_blocked",
    }
)


def decline_category(code: str) -> str:
    """Return the category of a decline code; a code not listed is retried later."""
    if code in NEVER_CODES:
        return Category.NEVER
    if code in AFTER_UPDATE_CODES:
        return Category.AFTER_UPDATE
    return Category.RETRY_LATER


@dataclass(frozen=True)
class Policy:
    retry_schedule_days: tuple[int, ...]
    final_status: str


def policy_for(*, merchant_id: int) -> Policy:
    """Return the merchant's dunning policy: its own settings row, else the defaults."""
    row = BillingSettings.objects.filter(merchant_id=merchant_id).first()
    schedule = tuple(row.retry_schedule_days) if row and row.retry_schedule_days else None
    return Policy(
        retry_schedule_days=schedule or tuple(setting("BILLING_RETRY_SCHEDULE_DAYS")),
        final_status=(row.final_status if row else None) or setting("BILLING_DUNNING_FINAL_STATUS"),
    )


def schedule_errors(days) -> str | None:
    """Return why ``days`` is not a retry schedule (1-8 increasing days, at most 60), or None."""
    if not isinstance(days, list | tuple) or not 1 <= len(days) <= 8:
        return "Give 1 to 8 retry days."
    if any(not isinstance(d, int) or isinstance(d, bool) or not 1 <= d <= 60 for d in days):
        return "Each retry day is 1 to 60."
    if list(days) != sorted(set(days)):
        return "Retry days increase."
    return None
