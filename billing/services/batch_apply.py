"""The renewal batch, last steps: charge the batch's attempts in one call and apply the
outcomes.

Successes of plain renewals are applied in bulk, in one transaction, writing what
``charge_attempt_apply`` and ``attempt_succeeded`` write for each (the attempt succeeded, the
invoice paid with its payment record and ``invoice.paid``, the subscription's next due moment,
the receipt). Everything else (a failure, whose dunning has one implementation; an outcome not
yet known; a subscription no longer simply active) goes through ``charge_result_apply`` one by
one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from backoffice.bulk import rows_update
from backoffice.sql import values_update
from payments.models import Order
from payments.services import event_record
from payments.services.events import event_batch
from payments.services.recurring import ChargeResult, saved_charges_run

from ..models import ChargeAttempt, Invoice, InvoicePayment, Notice, Subscription
from .charges import (
    APPLIED_FIELDS,
    Outcome,
    charge_outcome,
    charge_result_apply,
    charge_taken,
    saved_charge_of,
)
from .invoices import payment_event, payment_set
from .lifecycle import Status, due_at_of
from .notices import notice_build, notices_queue

_PAYABLE = (Invoice.Status.OPEN, Invoice.Status.UNCOLLECTIBLE)


@dataclass(frozen=True)
class Success:
    attempt: ChargeAttempt
    result: ChargeResult
    outcome: Outcome

    @property
    def order(self) -> Order | None:
        return self.result.payment.order if self.result.payment else None


def attempts_charge(
    *, plain: Sequence[ChargeAttempt], others: Sequence[ChargeAttempt], now: datetime
) -> None:
    """Charge all the attempts in one ``saved_charges_run`` call; apply the outcomes: the
    successes of ``plain`` renewals in bulk, the rest one by one."""
    attempts = [*plain, *others]
    if not attempts:
        return
    results = saved_charges_run([saved_charge_of(attempt) for attempt in attempts])
    successes, single = [], []
    for position, (attempt, result) in enumerate(zip(attempts, results, strict=True)):
        outcome = None if charge_taken(result) else charge_outcome(result)
        if position < len(plain) and outcome is not None and outcome.succeeded:
            successes.append(Success(attempt, result, outcome))
        else:
            single.append((attempt, result))
    for success in successes_apply(successes, now=now):
        single.append((success.attempt, success.result))
    for attempt, result in single:
        charge_result_apply(attempt=attempt, result=result, now=now)


def successes_apply(successes: Sequence[Success], *, now: datetime) -> list[Success]:
    """Apply successful charges of plain renewals in bulk; return those that are not plain
    any more (applied meanwhile ones are dropped) for ``charge_result_apply``."""
    if not successes:
        return []
    left: list[Success] = []
    with transaction.atomic(), event_batch():
        # Locked in the order the one-by-one path takes them: subscriptions, attempts, invoices.
        subscriptions = Subscription.objects.select_for_update(of=("self",)).select_related(
            "customer", "price", "payment_method", "merchant"
        )
        subscriptions = subscriptions.in_bulk({s.attempt.subscription_id for s in successes})
        pending = ChargeAttempt.objects.select_for_update().filter(
            status=ChargeAttempt.Status.PENDING
        )
        pending = pending.in_bulk([s.attempt.pk for s in successes])
        invoices = Invoice.objects.select_for_update().prefetch_related("lines")
        invoices = invoices.in_bulk({s.attempt.invoice_id for s in successes})
        keys = [s.attempt.idempotency_key for s in successes]
        paid_once = set(
            InvoicePayment.objects.filter(reference__in=keys).values_list("reference", flat=True)
        )
        wall = timezone.now()
        attempts, records, paid, renewed, notices = [], [], [], {}, []
        for success in successes:
            attempt = pending.get(success.attempt.pk)
            if attempt is None:
                continue  # applied by another worker's recovery meanwhile
            subscription = subscriptions[attempt.subscription_id]
            invoice = invoices[attempt.invoice_id]
            if (
                subscription.status != Status.ACTIVE
                or invoice.status not in _PAYABLE
                or attempt.idempotency_key in paid_once
            ):
                left.append(success)
                continue
            attempt.subscription, attempt.invoice = subscription, invoice
            invoice.subscription, invoice.customer = subscription, subscription.customer
            attempt.status = ChargeAttempt.Status.SUCCEEDED
            attempt.finished_at = now
            attempt.payment_id_public = success.outcome.payment_id
            if success.order is not None:
                attempt.order_id_public = success.order.public_id
            records.append(
                payment_set(
                    invoice, amount=attempt.amount, reference=attempt.idempotency_key, now=now
                )
            )
            invoice.updated = wall
            event_record(obj=invoice, type=payment_event(invoice))
            subscription.due_at, subscription.updated = due_at_of(subscription), wall
            renewed[subscription.pk] = subscription
            receipt = notice_build(
                kind=Notice.Kind.RECEIPT, subscription=subscription, invoice=invoice,
                key=attempt.public_id,
            )  # fmt: skip
            if receipt is not None:
                notices.append(receipt)
            attempts.append(attempt)
            paid.append(invoice)
        if attempts:
            values_update(attempts, APPLIED_FIELDS)  # each its own order and payment
            InvoicePayment.objects.bulk_create(records)
            rows_update(
                paid,
                ["amount_paid", "amount_remaining", "status", "paid_at", "next_payment_attempt",
                 "updated"],
            )  # fmt: skip
            rows_update(list(renewed.values()), ["due_at", "updated"])
            notices_queue(notices)
    return left
