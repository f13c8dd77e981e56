"""What every subscription change shares: the lock, when work is next due, the event."""

from __future__ import annotations

from datetime import datetime

from payments.errors import NotFound
from payments.services import event_record

from ..conf import setting
from ..models import Subscription
from ..periods import period_bounds, period_index_at

Status = Subscription.Status
BILLING_STATES = (Status.ACTIVE, Status.TRIALING, Status.PAST_DUE)


def subscription_lock(pk: int) -> Subscription:
    """Return the subscription's row locked for this transaction, with what billing reads."""
    found = (
        Subscription.objects.select_for_update(of=("self",))
        .select_related("customer", "price", "payment_method", "merchant")
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise NotFound("No such subscription.")
    return found


def period_end_after(subscription: Subscription, start: datetime) -> datetime:
    """Return the end of the period that starts at ``start`` (a boundary, or before the anchor
    when the first period is a stub up to a future billing cycle anchor)."""
    anchor = subscription.billing_cycle_anchor
    if start < anchor:
        return anchor
    price = subscription.price
    plan = {"anchor": anchor, "interval": price.interval, "interval_count": price.interval_count}
    index = period_index_at(**plan, moment=start)
    return period_bounds(**plan, index=index)[1]


def due_at_of(subscription: Subscription) -> datetime | None:
    """Return the next moment the engine has work on the subscription, or None."""
    if subscription.status == Status.INCOMPLETE:
        return subscription.started_at + setting("BILLING_INCOMPLETE_EXPIRY")
    if subscription.status not in BILLING_STATES:
        return None
    end = subscription.current_period_end
    moments = [end]
    notice = setting("BILLING_UPCOMING_NOTICE")
    if (
        not subscription.cancel_at_period_end
        and subscription.upcoming_sent_for != end
        and end - subscription.current_period_start > notice
    ):
        moments.append(end - notice)
    if subscription.status == Status.PAST_DUE and subscription.dunning_ends_at:
        moments.append(subscription.dunning_ends_at)
    return min(moments)


def subscription_save(
    subscription: Subscription, *, event: str | None = None, latest_invoice=None
) -> None:
    """Save the subscription with its next due moment; record ``event`` if given (with
    ``latest_invoice`` when the caller has just opened it: not read again)."""
    subscription.due_at = due_at_of(subscription)
    subscription.save()
    if event:
        data = subscription.api_data(latest_invoice=latest_invoice) if latest_invoice else None
        event_record(obj=subscription, type=event, data=data)
