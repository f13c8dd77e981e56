"""Subscriptions: start (first payment now, or after the trial), cancel (now or at period
end), pause, resume and change of price with proration.

Proration of a price change at time ``t`` in the period ``[S, E)``: with ``r = E − t`` and
``p = E − S`` (in microseconds), the unused part of the old price is credited,
``credit = round(old.amount × r / p)``, and the rest of the period is charged at the new price,
``charge = round(new.amount × r / p)``, each rounded half up to the minor unit. A positive
``charge − credit`` is invoiced and charged at once; a negative one is kept as the
subscription's credit and taken off its next invoices.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from payments.errors import InvalidTransition, ValidationFailed
from payments.models import Merchant
from payments.services import event_record
from payments.transitions import transition_run
from payments.validation import FieldError

from ..models import ChargeAttempt, Customer, Invoice, PaymentMethod, Price, Subscription
from ..periods import boundary
from .charges import attempt_open, charge_attempt_run
from .clocks import billing_now
from .invoices import LineInput
from .lifecycle import (
    BILLING_STATES,
    Status,
    period_end_after,
    subscription_lock,
    subscription_save,
)
from .schedule import period_invoice, period_open, subscription_cancel_locked

TRIAL_DAYS_MAX = 730


def prorate(*, amount: int, remaining: timedelta, period: timedelta) -> int:
    """Return ``amount × remaining / period`` rounded half up to the minor unit (integers)."""
    r = remaining // timedelta(microseconds=1)
    p = period // timedelta(microseconds=1)
    return (2 * amount * r + p) // (2 * p)


def _create_inputs(*, merchant, livemode, customer, price, payment_method):
    errors: list[FieldError] = []
    scope = {"merchant": merchant, "livemode": livemode}
    found_customer = Customer.objects.filter(
        **scope, public_id=customer, deleted_at__isnull=True
    ).first()
    found_price = Price.objects.filter(**scope, public_id=price).first()
    method = None
    if found_customer is None:
        errors.append(FieldError("customer", "resource_missing", "No such customer."))
    if found_price is None:
        errors.append(FieldError("price", "resource_missing", "No such price."))
    if found_customer is not None:
        method = PaymentMethod.objects.filter(
            customer=found_customer, public_id=payment_method, detached_at__isnull=True
        ).first()
        if method is None:
            errors.append(
                FieldError(
                    "payment_method", "resource_missing", "No such payment method of the customer."
                )
            )
        elif method.status != PaymentMethod.Status.ACTIVE:
            errors.append(
                FieldError(
                    "payment_method",
                    "payment_method_requires_action",
                    "The card's holder must first verify it with the code their bank sent.",
                )
            )
        elif method.consent_usage != PaymentMethod.Usage.OFF_SESSION:
            errors.append(
                FieldError(
                    "payment_method",
                    "off_session_consent_missing",
                    "Renewals are charged without the customer: save the card with "
                    "consent usage off_session.",
                )
            )
    return found_customer, found_price, method, errors


def _start_errors(*, price: Price, now: datetime, trial_days, anchor) -> list[FieldError]:
    errors: list[FieldError] = []
    if trial_days is not None and not 0 <= trial_days <= TRIAL_DAYS_MAX:
        errors.append(FieldError("trial_days", "out_of_range", "A trial lasts 0 to 730 days."))
    if anchor is not None:
        latest = boundary(anchor=now, interval=price.interval, count=price.interval_count)
        if trial_days:
            errors.append(
                FieldError(
                    "billing_cycle_anchor",
                    "conflict",
                    "With a trial, billing starts when the trial ends: give one or the other.",
                )
            )
        elif timezone.is_naive(anchor) or not now < anchor <= latest:
            errors.append(
                FieldError(
                    "billing_cycle_anchor",
                    "out_of_range",
                    "The anchor is after now and within one period of it.",
                )
            )
    return errors


def subscription_create(
    *,
    merchant: Merchant,
    livemode: bool,
    customer: str,
    price: str,
    payment_method: str,
    trial_days: int | None = None,
    billing_cycle_anchor: datetime | None = None,
) -> Subscription:
    """Start a subscription; return it ``active`` (first payment made), ``trialing`` or
    ``incomplete`` (the first payment failed: see its latest invoice).

    A future ``billing_cycle_anchor`` makes the first period a stub up to it, charged in
    proportion (the formula in the module docstring, with the old amount 0).
    """
    customer_obj, price_obj, method, errors = _create_inputs(
        merchant=merchant,
        livemode=livemode,
        customer=customer,
        price=price,
        payment_method=payment_method,
    )
    if errors:
        raise ValidationFailed(errors)
    now = billing_now(customer_obj)
    trial_days = price_obj.trial_days if trial_days is None else trial_days
    errors = _start_errors(
        price=price_obj, now=now, trial_days=trial_days, anchor=billing_cycle_anchor
    )
    if errors:
        raise ValidationFailed(errors)
    attempts: list[int] = []
    with transaction.atomic():
        subscription = Subscription(
            merchant=merchant,
            livemode=livemode,
            customer=customer_obj,
            price=price_obj,
            payment_method=method,
            started_at=now,
            billing_cycle_anchor=billing_cycle_anchor or now,
            current_period_start=now,
            current_period_end=now,
        )
        if trial_days:
            subscription.trial_end = now + timedelta(days=trial_days)
            subscription.billing_cycle_anchor = subscription.trial_end
            subscription.current_period_end = subscription.trial_end
            transition_run(subscription.start_trial)
            subscription_save(subscription)
            event_record(obj=subscription, type="customer.subscription.created", sequence=1)
            return subscription
        subscription_save(subscription)
        event_record(obj=subscription, type="customer.subscription.created", sequence=1)
        attempts = _first_period(subscription=subscription, now=now)
    for attempt_pk in attempts:
        charge_attempt_run(attempt_pk=attempt_pk, now=now)
    subscription.refresh_from_db()
    return subscription


def _first_period(*, subscription: Subscription, now: datetime) -> list[int]:
    """Open the first period's invoice (a stub up to a future anchor is prorated)."""
    price = subscription.price
    anchor = subscription.billing_cycle_anchor
    if anchor > now:
        full_start = boundary(anchor=anchor, interval=price.interval, count=-price.interval_count)
        end, amount = (
            anchor,
            prorate(amount=price.amount, remaining=anchor - now, period=anchor - full_start),
        )
    else:
        end, amount = None, price.amount
    if end is None:
        return _open_first(subscription=subscription, now=now)
    subscription.current_period_end = end
    line = LineInput(
        description=f"{price.product_name} (until the billing date)",
        unit_amount=amount,
        period_start=now,
        period_end=end,
        proration=True,
    )
    invoice = period_invoice(
        subscription=subscription,
        start=now,
        end=end,
        reason=Invoice.BillingReason.SUBSCRIPTION_CREATE,
        now=now,
        lines=[line],
    )
    return _charge_first(subscription=subscription, invoice=invoice, now=now)


def _open_first(*, subscription: Subscription, now: datetime) -> list[int]:
    end = period_end_after(subscription, now)
    subscription.current_period_start, subscription.current_period_end = now, end
    invoice = period_invoice(
        subscription=subscription,
        start=now,
        end=end,
        reason=Invoice.BillingReason.SUBSCRIPTION_CREATE,
        now=now,
    )
    return _charge_first(subscription=subscription, invoice=invoice, now=now)


def _charge_first(*, subscription: Subscription, invoice: Invoice, now: datetime) -> list[int]:
    attempt = None
    if invoice.status == Invoice.Status.OPEN:
        attempt = attempt_open(subscription=subscription, invoice=invoice, now=now)
    else:
        transition_run(subscription.activate)
    subscription_save(subscription)
    return [attempt.pk] if attempt else []


def subscription_cancel(*, subscription: Subscription, at_period_end: bool = False) -> Subscription:
    """Cancel now (open invoices are voided), or at the end of the current period."""
    now = billing_now(subscription.customer)
    with transaction.atomic():
        subscription = subscription_lock(subscription.pk)
        if not at_period_end:
            subscription_cancel_locked(subscription=subscription, now=now)
            return subscription
        if subscription.status not in BILLING_STATES:
            raise InvalidTransition(
                f"A subscription {subscription.status} has no period end to cancel at."
            )
        if not subscription.cancel_at_period_end:
            subscription.cancel_at_period_end = True
            subscription.canceled_at = now
            subscription_save(subscription, event="customer.subscription.updated")
    return subscription


def subscription_pause(*, subscription: Subscription) -> Subscription:
    """Stop billing an active subscription until it is resumed."""
    now = billing_now(subscription.customer)
    with transaction.atomic():
        subscription = subscription_lock(subscription.pk)
        transition_run(
            subscription.pause,
            f"Only an active subscription can be paused; this one is {subscription.status}.",
        )
        subscription.paused_at = now
        subscription_save(subscription, event="customer.subscription.updated")
    return subscription


def subscription_resume(*, subscription: Subscription) -> Subscription:
    """Bill again: within the paused period nothing changes; after its end a new period starts
    now (the billing cycle anchor moves to now) and is charged at once."""
    now = billing_now(subscription.customer)
    attempts: list[ChargeAttempt] = []
    with transaction.atomic():
        subscription = subscription_lock(subscription.pk)
        transition_run(subscription.resume, "Only a paused subscription can be resumed.")
        subscription.paused_at = None
        if subscription.current_period_end <= now:
            subscription.billing_cycle_anchor = now
            subscription.current_period_end = now
            attempts = period_open(subscription=subscription, now=now)
        else:
            subscription_save(subscription, event="customer.subscription.updated")
    for attempt in attempts:
        charge_attempt_run(attempt=attempt, now=now)
    subscription.refresh_from_db()
    return subscription


def subscription_price_change(*, subscription: Subscription, price: str) -> Subscription:
    """Move the subscription to another price now, prorated (module docstring)."""
    new = Price.objects.filter(
        merchant_id=subscription.merchant_id, livemode=subscription.livemode, public_id=price
    ).first()
    old = subscription.price
    if new is None:
        raise ValidationFailed([FieldError("price", "resource_missing", "No such price.")])
    if (new.currency, new.interval, new.interval_count) != (
        old.currency,
        old.interval,
        old.interval_count,
    ):
        raise ValidationFailed(
            [
                FieldError(
                    "price",
                    "incompatible_price",
                    "Change to a price of the same currency and billing period.",
                )
            ]
        )
    now = billing_now(subscription.customer)
    attempts: list[int] = []
    with transaction.atomic():
        subscription = subscription_lock(subscription.pk)
        if subscription.status not in BILLING_STATES:
            raise InvalidTransition(f"A subscription {subscription.status} cannot change price.")
        if subscription.price_id != new.pk:
            attempts = _price_swap(subscription=subscription, new=new, now=now)
    for attempt_pk in attempts:
        charge_attempt_run(attempt_pk=attempt_pk, now=now)
    subscription.refresh_from_db()
    return subscription


def _price_swap(*, subscription: Subscription, new: Price, now: datetime) -> list[int]:
    old = subscription.price
    subscription.price = new
    start, end = subscription.current_period_start, subscription.current_period_end
    if subscription.status == Status.TRIALING or not start <= now < end:
        subscription_save(subscription, event="customer.subscription.updated")
        return []  # nothing paid yet for this period (trial): the new price bills from its end
    credit = prorate(amount=old.amount, remaining=end - now, period=end - start)
    charge = prorate(amount=new.amount, remaining=end - now, period=end - start)
    net = charge - credit
    attempts: list[int] = []
    if net > 0:
        lines = [
            LineInput(
                description=f"Unused time on {old.product_name}",
                unit_amount=-credit,
                period_start=now,
                period_end=end,
                proration=True,
            ),
            LineInput(
                description=f"Remaining time on {new.product_name}",
                unit_amount=charge,
                period_start=now,
                period_end=end,
                proration=True,
            ),
        ]
        invoice = period_invoice(
            subscription=subscription,
            start=None,
            end=end,
            reason=Invoice.BillingReason.SUBSCRIPTION_UPDATE,
            now=now,
            lines=lines,
        )
        if invoice.status == Invoice.Status.OPEN:
            attempt = attempt_open(subscription=subscription, invoice=invoice, now=now)
            attempts = [attempt.pk] if attempt else []
    else:
        subscription.credit_balance += -net
    subscription_save(subscription, event="customer.subscription.updated")
    return attempts
