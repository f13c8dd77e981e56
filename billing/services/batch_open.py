"""The renewal batch, first step: claim up to ``BILLING_RENEWAL_BATCH`` due subscriptions in one
query and do the common work for many at once, in one transaction.

What is done in bulk is exactly what ``subscription_step`` would write for each: a plain cycle
renewal (its invoice opened, numbered and finalized with its first charge attempt) and a plain
upcoming-renewal announcement. Everything else (trials, cancels at period end, credit, dunning,
an unusable card or one at its cap, incomplete starts) goes through ``subscription_step``, the one
implementation of those, under the same claim. The attempts are committed ``pending`` before any
charge: ``charge_attempts_recover`` finishes those of a worker that dies.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Q, prefetch_related_objects
from django.utils import timezone

from backoffice.bulk import rows_update
from payments.services import event_record
from payments.services.events import event_batch

from ..conf import setting
from ..models import (
    ChargeAttempt,
    Invoice,
    InvoiceLine,
    Notice,
    NumberSeries,
    PaymentMethod,
    Subscription,
)
from .charges import attempt_build, card_attempts_counts
from .invoices import draft_data, finalize_check, finalized_set, invoice_build, numbers_take
from .lifecycle import Status, due_at_of, period_end_after
from .notices import notice_build, notices_queue
from .schedule import period_lines, upcoming_key, upcoming_preview


@dataclass
class Claimed:
    """A claimed batch, by what each subscription's step is."""

    renewals: list[Subscription] = field(default_factory=list)
    upcoming: list[Subscription] = field(default_factory=list)
    others: list[Subscription] = field(default_factory=list)

    def all(self) -> list[Subscription]:
        return self.renewals + self.upcoming + self.others


def batch_claim(*, scope: Q, now: datetime, size: int, skip=()) -> list[Subscription]:
    """Lock up to ``size`` due subscriptions no other worker holds (in due order), with what
    billing reads. Call inside the transaction that does their work."""
    rows = (
        Subscription.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("customer", "price", "payment_method", "merchant")
        .filter(scope, due_at__lte=now)
        .order_by("due_at", "pk")
    )
    if skip:
        rows = rows.exclude(pk__in=skip)
    return list(rows[:size])


def _card_usable(subscription: Subscription) -> bool:
    method = subscription.payment_method
    return (
        method is not None
        and method.detached_at is None
        and method.status == PaymentMethod.Status.ACTIVE
        and method.consent_usage == PaymentMethod.Usage.OFF_SESSION
    )


def _renews_plainly(subscription: Subscription, now: datetime) -> bool:
    return (
        subscription.status == Status.ACTIVE
        and subscription.current_period_end <= now
        and not subscription.cancel_at_period_end
        and subscription.credit_balance == 0
        and _card_usable(subscription)
    )


def _announces_plainly(subscription: Subscription, now: datetime) -> bool:
    end = subscription.current_period_end
    return (
        subscription.status in (Status.ACTIVE, Status.TRIALING)
        and end > now
        and subscription.upcoming_sent_for != end
        and now >= end - setting("BILLING_UPCOMING_NOTICE")
    )


def batch_classify(subscriptions: list[Subscription], *, now: datetime) -> Claimed:
    """Sort the claimed subscriptions by their step; a renewal whose card reached its cap
    (counting the batch's own attempts, in order) is left to ``subscription_step``."""
    claimed = Claimed()
    renewing = [s for s in subscriptions if _renews_plainly(s, now)]
    renewing_pks = {s.pk for s in renewing}
    counts: dict[tuple[int, str], int] = {}
    by_merchant = defaultdict(set)
    for subscription in renewing:
        by_merchant[subscription.merchant_id].add(subscription.payment_method.fingerprint)
    for merchant_id, fingerprints in by_merchant.items():
        found = card_attempts_counts(merchant_id=merchant_id, fingerprints=fingerprints, now=now)
        counts.update({(merchant_id, fp): n for fp, n in found.items()})
    cap = setting("BILLING_CARD_ATTEMPTS_MAX")
    for subscription in subscriptions:
        if subscription.pk in renewing_pks:
            card = (subscription.merchant_id, subscription.payment_method.fingerprint)
            if counts.get(card, 0) < cap:
                counts[card] = counts.get(card, 0) + 1
                claimed.renewals.append(subscription)
                continue
        elif _announces_plainly(subscription, now):
            claimed.upcoming.append(subscription)
            continue
        claimed.others.append(subscription)
    return claimed


def renewals_open(subscriptions: list[Subscription], *, now: datetime) -> list[ChargeAttempt]:
    """Renew each subscription (claimed, ``_renews_plainly``): its next period's invoice
    opened as ``period_invoice`` and ``invoice_finalize`` open one, its first attempt written
    as ``attempt_open`` writes it, with the same events. Return the attempts to charge."""
    invoices, lines, attempts = [], [], []
    series = defaultdict(list)
    for subscription in subscriptions:
        start = subscription.current_period_end
        end = period_end_after(subscription, start)
        subscription.current_period_start, subscription.current_period_end = start, end
        invoice, rows = invoice_build(
            customer=subscription.customer,
            currency=subscription.price.currency,
            lines=period_lines(subscription, start, end),
            subscription=subscription,
            billing_reason=Invoice.BillingReason.SUBSCRIPTION_CYCLE,
            collection_method=Invoice.CollectionMethod.CHARGE_AUTOMATICALLY,
            period_start=start,
            period_end=end,
        )
        finalize_check(invoice)
        invoices.append(invoice)
        lines.append(rows)
        series[(invoice.merchant_id, invoice.livemode)].append(invoice)
    for (merchant_id, livemode), opened in series.items():
        numbers = numbers_take(
            merchant_id=merchant_id, livemode=livemode, kind=NumberSeries.Kind.INVOICE,
            year=now.year, count=len(opened),
        )  # fmt: skip
        for invoice, number in zip(opened, numbers, strict=True):
            finalized_set(invoice, number=number, now=now)
    for subscription, invoice in zip(subscriptions, invoices, strict=True):
        attempts.append(attempt_build(subscription=subscription, invoice=invoice, now=now))
    Invoice.objects.bulk_create(invoices)
    for invoice, rows in zip(invoices, lines, strict=True):
        for row in rows:
            row.invoice = invoice
    InvoiceLine.objects.bulk_create([row for rows in lines for row in rows])
    prefetch_related_objects(invoices, "lines")
    ChargeAttempt.objects.bulk_create(attempts)
    wall = timezone.now()
    with event_batch():
        for subscription, invoice in zip(subscriptions, invoices, strict=True):
            # As finalized, before its attempt was counted (``attempt_open`` comes after).
            data = {**invoice.api_data(), "attempt_count": 0}
            event_record(obj=invoice, type="invoice.created", sequence=1, data=draft_data(data))
            event_record(obj=invoice, type="invoice.finalized", data=data)
            subscription.due_at, subscription.updated = due_at_of(subscription), wall
            event_record(
                obj=subscription,
                type="customer.subscription.updated",
                data=subscription.api_data(latest_invoice=invoice),
            )
        rows_update(
            subscriptions, ["current_period_start", "current_period_end", "due_at", "updated"]
        )
    return attempts


def upcoming_announce_many(subscriptions: list[Subscription], *, now: datetime) -> None:
    """Announce each one's renewal (claimed, ``_announces_plainly``) as ``upcoming_announce``
    does: ``invoice.upcoming`` and the e-mail, once per period end."""
    keys = {s.pk: f"{Notice.Kind.UPCOMING}:{upcoming_key(s)}" for s in subscriptions}
    queued = set(Notice.objects.filter(key__in=keys.values()).values_list("key", flat=True))
    notices = []
    wall = timezone.now()
    with event_batch():
        for subscription in subscriptions:
            preview = upcoming_preview(subscription)
            event_record(obj=subscription, type="invoice.upcoming", data=preview)
            subscription.upcoming_sent_for = subscription.current_period_end
            subscription.due_at, subscription.updated = due_at_of(subscription), wall
            if keys[subscription.pk] not in queued:
                notice = notice_build(
                    kind=Notice.Kind.UPCOMING, subscription=subscription,
                    key=upcoming_key(subscription),
                )  # fmt: skip
                if notice is not None:
                    notices.append(notice)
        rows_update(subscriptions, ["upcoming_sent_for", "due_at", "updated"])
        notices_queue(notices)
