"""What happens to a subscription when its time comes: a period renews (or the trial ends)
and its invoice is opened and charged, the renewal is announced, dunning or an incomplete start
runs out, or a cancel at period end takes effect. Called with the subscription locked.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from payments.services import event_record
from payments.transitions import transition_run

from ..conf import setting
from ..models import ChargeAttempt, Invoice, Subscription
from .charges import attempt_open
from .dunning_steps import dunning_end
from .invoices import LineInput, invoice_create, invoice_finalize, invoice_void
from .lifecycle import Status, period_end_after, subscription_save
from .notices import notice_queue


def _day(moment: datetime) -> str:
    return moment.strftime("%d %b %Y").lstrip("0")


def period_lines(subscription: Subscription, start: datetime, end: datetime) -> list[LineInput]:
    """The period's line: the price from ``start`` to ``end``."""
    price = subscription.price
    return [
        LineInput(
            description=f"{price.product_name} ({_day(start)} – {_day(end)})",
            unit_amount=price.amount,
            period_start=start,
            period_end=end,
        )
    ]


def period_invoice(
    *,
    subscription: Subscription,
    start: datetime | None,
    end: datetime,
    reason: str,
    now: datetime,
    lines: Sequence[LineInput] | None = None,
) -> Invoice:
    """Open (create and finalize) the subscription's invoice; the price for the period unless
    ``lines`` are given. Credit from earlier plan changes is taken off, as far as it goes."""
    price = subscription.price
    lines = list(period_lines(subscription, start, end) if lines is None else lines)
    due = sum(line.unit_amount * line.quantity for line in lines)
    credit = min(subscription.credit_balance, max(due, 0))
    if credit:
        lines.append(
            LineInput(description="Credit from plan change", unit_amount=-credit, proration=True)
        )
        subscription.credit_balance -= credit
    invoice = invoice_create(
        customer=subscription.customer,
        currency=price.currency,
        lines=lines,
        subscription=subscription,
        billing_reason=reason,
        collection_method=Invoice.CollectionMethod.CHARGE_AUTOMATICALLY,
        period_start=start,
        period_end=end,
    )
    # Written in this transaction, so no one else sees it yet: finalized as it is.
    return invoice_finalize(invoice=invoice, now=now, locked=True)


def period_open(*, subscription: Subscription, now: datetime) -> list[ChargeAttempt]:
    """Start the period after the current one (the first paid one after a trial), open its
    invoice and write its first charge attempt; return the attempts to charge."""
    start = subscription.current_period_end
    end = period_end_after(subscription, start)
    subscription.current_period_start, subscription.current_period_end = start, end
    invoice = period_invoice(
        subscription=subscription,
        start=start,
        end=end,
        reason=Invoice.BillingReason.SUBSCRIPTION_CYCLE,
        now=now,
    )
    attempt = None
    if invoice.status == Invoice.Status.OPEN:
        attempt = attempt_open(subscription=subscription, invoice=invoice, now=now)
    elif subscription.status == Status.TRIALING:
        transition_run(subscription.activate)  # nothing to pay (credit covered it)
    subscription_save(subscription, event="customer.subscription.updated", latest_invoice=invoice)
    return [attempt] if attempt else []


def upcoming_announce(*, subscription: Subscription, now: datetime) -> None:
    """Record ``invoice.upcoming`` (a preview of the next invoice) and e-mail the customer."""
    end = subscription.current_period_end
    event_record(obj=subscription, type="invoice.upcoming", data=upcoming_preview(subscription))
    subscription.upcoming_sent_for = end
    subscription_save(subscription)
    notice_queue(
        kind="upcoming",
        subscription=subscription,
        key=upcoming_key(subscription),
    )


def upcoming_key(subscription: Subscription) -> str:
    """The upcoming notice's key (without its kind): once per subscription and period end."""
    return f"{subscription.public_id}:{subscription.current_period_end.isoformat()}"


def upcoming_preview(subscription: Subscription) -> dict:
    """The next invoice as ``invoice.upcoming`` shows it."""
    end = subscription.current_period_end
    price = subscription.price
    next_end = period_end_after(subscription, end)
    return {
        "object": "invoice",
        "id": None,
        "upcoming": True,
        "customer": subscription.customer.public_id,
        "subscription": subscription.public_id,
        "currency": price.currency,
        "amount_due": price.amount - min(subscription.credit_balance, price.amount),
        "period_start": end.isoformat().replace("+00:00", "Z"),
        "period_end": next_end.isoformat().replace("+00:00", "Z"),
        "next_payment_attempt": end.isoformat().replace("+00:00", "Z"),
    }


def incomplete_expire(*, subscription: Subscription, now: datetime) -> None:
    """The first payment never succeeded: void the invoice and end the subscription."""
    for invoice in Invoice.objects.filter(subscription=subscription, status=Invoice.Status.OPEN):
        invoice_void(invoice=invoice, now=now)
    transition_run(subscription.cancel)
    subscription.canceled_at = subscription.ended_at = now
    subscription_save(subscription, event="customer.subscription.deleted")


def subscription_cancel_locked(*, subscription: Subscription, now: datetime) -> None:
    """End the subscription now; its open invoices are voided (collection stops)."""
    for invoice in Invoice.objects.filter(subscription=subscription, status=Invoice.Status.OPEN):
        invoice_void(invoice=invoice, now=now)
    transition_run(subscription.cancel, f"A subscription {subscription.status} cannot be canceled.")
    subscription.canceled_at = subscription.ended_at = now
    subscription.dunning_ends_at = None
    subscription_save(subscription, event="customer.subscription.deleted")


def subscription_step(*, subscription: Subscription, now: datetime) -> list[ChargeAttempt]:
    """Do the work due on the subscription at ``now``; return the attempts to charge."""
    if subscription.status == Status.INCOMPLETE:
        if subscription.started_at + setting("BILLING_INCOMPLETE_EXPIRY") <= now:
            incomplete_expire(subscription=subscription, now=now)
        return []
    if subscription.status == Status.PAST_DUE and (
        subscription.dunning_ends_at and subscription.dunning_ends_at <= now
    ):
        waiting = Invoice.objects.filter(subscription=subscription, status=Invoice.Status.OPEN)
        dunning_end(
            subscription=subscription, invoice=waiting.order_by("-created").first(), now=now
        )
        return []
    end = subscription.current_period_end
    if end <= now:
        if subscription.cancel_at_period_end:
            subscription_cancel_locked(subscription=subscription, now=end)
            return []
        return period_open(subscription=subscription, now=now)
    if subscription.upcoming_sent_for != end and now >= end - setting("BILLING_UPCOMING_NOTICE"):
        upcoming_announce(subscription=subscription, now=now)
        return []
    subscription_save(subscription)
    return []
