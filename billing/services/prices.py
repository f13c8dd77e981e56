"""Prices: what a subscription charges each period."""

from __future__ import annotations

from payments.errors import ValidationFailed
from payments.models import Merchant
from payments.validation import FieldError, validate_amount

from ..models import Price
from ..periods import MAX_INTERVAL_COUNT

PRODUCT_NAME_MAX = Price._meta.get_field("product_name").max_length
TRIAL_DAYS_MAX = 730


def _price_errors(*, product_name, amount, currency, interval, interval_count, trial_days):
    errors: list[FieldError] = []
    if not isinstance(product_name, str) or not product_name.strip():
        errors.append(FieldError("product_name", "required", "Name the product."))
    elif len(product_name) > PRODUCT_NAME_MAX:
        errors.append(
            FieldError(
                "product_name",
                "too_long",
                f"A product name has at most {PRODUCT_NAME_MAX} characters.",
            )
        )
    errors += validate_amount(amount=amount, currency=currency)
    if interval not in Price.Interval.values:
        errors.append(
            FieldError("interval", "invalid_choice", "Interval is day, week, month or year.")
        )
    elif not isinstance(interval_count, int) or not (
        1 <= interval_count <= MAX_INTERVAL_COUNT[interval]
    ):
        most = MAX_INTERVAL_COUNT[interval]
        errors.append(
            FieldError(
                "interval_count",
                "out_of_range",
                f"A period is 1 to {most} {interval}s: at most about a year.",
            )
        )
    if trial_days is not None and (
        not isinstance(trial_days, int) or not 1 <= trial_days <= TRIAL_DAYS_MAX
    ):
        errors.append(
            FieldError("trial_days", "out_of_range", f"A trial lasts 1 to {TRIAL_DAYS_MAX} days.")
        )
    return errors


def price_create(
    *,
    merchant: Merchant,
    livemode: bool = False,
    product_name: str,
    amount: int,
    currency: str,
    interval: str,
    interval_count: int = 1,
    trial_days: int | None = None,
) -> Price:
    """Create a price of the merchant in the mode: ``amount`` minor units of ``currency``."""
    errors = _price_errors(
        product_name=product_name,
        amount=amount,
        currency=currency,
        interval=interval,
        interval_count=interval_count,
        trial_days=trial_days,
    )
    if errors:
        raise ValidationFailed(errors)
    return Price.objects.create(
        merchant=merchant,
        livemode=livemode,
        product_name=product_name.strip(),
        amount=amount,
        currency=currency,
        interval=interval,
        interval_count=interval_count,
        trial_days=trial_days,
    )
