"""What follows a charge attempt: the invoice paid and the subscription active, or dunning.

Called by ``charges`` with the subscription, invoice and attempt rows locked, in the
transaction that records the attempt's outcome.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django_fsm import can_proceed

from payments.services import event_record
from payments.transitions import transition_run

from .. import dunning
from ..models import ChargeAttempt, Invoice, Subscription
from .invoices import invoice_mark_uncollectible, invoice_payment_apply
from .lifecycle import Status, subscription_save
from .notices import notice_queue

Category = ChargeAttempt.Category


def attempt_succeeded(
    *, subscription: Subscription, invoice: Invoice, attempt: ChargeAttempt, now: datetime
) -> None:
    invoice_payment_apply(
        invoice=invoice, amount=attempt.amount, reference=attempt.idempotency_key, now=now,
        locked=True,
    )  # fmt: skip
    event = None
    if subscription.status != Status.ACTIVE and can_proceed(subscription.activate):
        still_open = Invoice.objects.filter(
            subscription=subscription, status=Invoice.Status.OPEN
        ).exclude(pk=invoice.pk)
        if not still_open.exists():
            reactivated = subscription.status == Status.UNPAID
            transition_run(subscription.activate)
            subscription.dunning_ends_at = None
            if reactivated and subscription.current_period_end <= now:
                # Billing stopped while unpaid: it starts again from today.
                subscription.billing_cycle_anchor = now
                subscription.current_period_start = subscription.current_period_end = now
            event = "customer.subscription.updated"
    subscription_save(subscription, event=event)
    notice_queue(kind="receipt", subscription=subscription, invoice=invoice, key=attempt.public_id)


def attempt_failed(
    *,
    subscription: Subscription,
    invoice: Invoice,
    attempt: ChargeAttempt | None,
    code: str,
    now: datetime,
) -> None:
    """Record the failure and decide the next try from the decline's category."""
    category = dunning.decline_category(code)
    if attempt is not None:
        attempt.decline_category = category
        attempt.save(update_fields=["decline_category"])
    event_record(
        obj=invoice,
        type="invoice.payment_failed",
        data={**invoice.api_data(), "last_payment_error": {"code": code, "category": category}},
    )
    if subscription.status == Status.INCOMPLETE:
        # The first payment failed: the start waits for the customer and expires if none comes.
        subscription_save(subscription)
        return
    event = None
    if can_proceed(subscription.mark_past_due):
        transition_run(subscription.mark_past_due)
        event = "customer.subscription.updated"
    policy = dunning.policy_for(merchant_id=subscription.merchant_id)
    first = (
        ChargeAttempt.objects.filter(invoice=invoice, status=ChargeAttempt.Status.FAILED)
        .order_by("number")
        .values_list("attempted_at", flat=True)
        .first()
    ) or now
    last_day = first + timedelta(days=policy.retry_schedule_days[-1])
    failures = invoice.charge_attempts.filter(status=ChargeAttempt.Status.FAILED).count()
    if failures <= 1 or category == Category.AFTER_UPDATE:
        # Once per invoice (and at each wait for a card): the link lets them give another card,
        # which pays the invoice even after dunning gave up (``unpaid``).
        key = f"{invoice.public_id}:{failures}"
        notice_queue(kind="payment_failed", subscription=subscription, invoice=invoice, key=key)
    if category == Category.RETRY_LATER and failures <= len(policy.retry_schedule_days):
        retry_at = first + timedelta(days=policy.retry_schedule_days[failures - 1])
        invoice.next_payment_attempt = max(retry_at, now)
        invoice.save(update_fields=["next_payment_attempt", "updated"])
    elif category == Category.AFTER_UPDATE and last_day > now:
        subscription.dunning_ends_at = last_day
    else:
        subscription_save(subscription, event=event)
        dunning_end(subscription=subscription, invoice=invoice, now=now, policy=policy)
        return
    subscription_save(subscription, event=event)


def dunning_end(
    *,
    subscription: Subscription,
    invoice: Invoice | None,
    now: datetime,
    policy: dunning.Policy | None = None,
) -> None:
    """The last try failed: the subscription becomes the merchant's final status (``unpaid``
    or ``canceled``) and the invoice uncollectible."""
    policy = policy or dunning.policy_for(merchant_id=subscription.merchant_id)
    if invoice is not None and invoice.status == Invoice.Status.OPEN:
        invoice_mark_uncollectible(invoice=invoice)
    subscription.dunning_ends_at = None
    if policy.final_status == Status.CANCELED:
        transition_run(subscription.cancel)
        subscription.canceled_at = subscription.ended_at = now
        subscription_save(subscription, event="customer.subscription.deleted")
    else:
        transition_run(subscription.mark_unpaid)
        subscription_save(subscription, event="customer.subscription.updated")
