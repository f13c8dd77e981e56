"""A merchant's dunning settings: its retry schedule and what dunning ends in."""

from __future__ import annotations

from payments.errors import ValidationFailed
from payments.models import Merchant
from payments.validation import FieldError

from ..dunning import schedule_errors
from ..models import BillingSettings


def billing_settings_set(
    *, merchant: Merchant, retry_schedule_days: list[int], final_status: str
) -> BillingSettings:
    """Set the merchant's retry days (after the first failure) and final status."""
    errors = []
    if problem := schedule_errors(retry_schedule_days):
        errors.append(FieldError("retry_schedule_days", "invalid_schedule", problem))
    if final_status not in BillingSettings.FinalStatus.values:
        errors.append(
            FieldError("final_status", "invalid_choice", "Dunning ends unpaid or canceled.")
        )
    if errors:
        raise ValidationFailed(errors)
    row, _ = BillingSettings.objects.update_or_create(
        merchant=merchant,
        defaults={"retry_schedule_days": list(retry_schedule_days), "final_status": final_status},
    )
    return row
