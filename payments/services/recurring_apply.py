"""Steps 2 and 3 of a batch of saved-card charges (``recurring``): send, then apply.

Each institution gets the batch's authorizations in one call (``Connector.authorize_many``).
The approved sales (authorized and captured at once, the common answer to a renewal) are
applied together in one transaction, as ``authorization_apply`` applies each: the batch's
attempts, payments and orders locked in one query (ordered by order, as the single path locks
an order before its payment), then updated in one statement each, the capture entries written
in two, the events in one. Every other answer is applied by ``authorization_apply`` itself.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from institutions.connector import (
    AuthorizationResult,
    ConnectorError,
    ConnectorTimeout,
    Decision,
)
from ledger.services import journal_post_many

from .. import metrics
from ..models import Order, Payment, PaymentAttempt
from ..representations import order_data
from ..routing import connector_for
from ..transitions import transition_run
from .checked import CheckedMethod
from .events import event_batch, event_record
from .ledger_entries import capture_entry
from .payments import _answer_apply, authorization_apply, authorization_request
from .saved import saved_details

logger = logging.getLogger(__name__)

Outcome = PaymentAttempt.Outcome


@dataclass
class Opened:
    """A charge of the batch, written by step 1: its order, payment and first attempt."""

    index: int
    order: Order
    payment: Payment
    attempt: PaymentAttempt
    checked: CheckedMethod


def opened_send(opened: list[Opened]) -> dict[int, Payment]:
    """Send the batch's payments still ``processing`` and apply the answers; return every
    charge's payment by its index."""
    done: dict[int, Payment] = {}
    by_institution: dict[str, list[Opened]] = {}
    for o in opened:
        if o.payment.status == Payment.Status.PROCESSING:
            by_institution.setdefault(o.payment.institution, []).append(o)
        else:
            done[o.index] = o.payment  # declined or waiting for a code: nothing was sent
    sent: dict[int, Payment] = {}
    sales = []
    for institution, group in by_institution.items():
        answers = _answers(institution, group)
        for o, answer in zip(group, answers, strict=True):
            if isinstance(answer, Payment):
                sent[o.index] = answer  # the outcome is unknown: reconciled later
            elif isinstance(answer, ConnectorError):
                # The institution refused to act at all: nothing is held, as in the single path.
                result = AuthorizationResult(
                    decision=Decision.DECLINED, decline_code=answer.code, message=answer.message
                )
                sent[o.index] = authorization_apply(
                    payment_pk=o.payment.pk,
                    attempt_pk=o.attempt.pk,
                    result=result,
                    error=True,
                    order_pk=o.order.pk,
                )
            elif _sale_approved(o, answer):
                sales.append((o, answer))
            else:
                sent[o.index] = _answer_apply(payment=o.payment, attempt=o.attempt, result=answer)
    for o, answer in _sales_apply(sales):
        # Moved on meanwhile (canceled, or answered already): the single path's own handling.
        sent[o.index] = _answer_apply(payment=o.payment, attempt=o.attempt, result=answer)
    for o, _ in sales:
        sent.setdefault(o.index, o.payment)
    for index, payment in sent.items():
        metrics.payment_outcome(payment)
        done[index] = payment
    return done


def _answers(institution: str, group: list[Opened]) -> list:
    """The institution's answer to each payment of ``group`` (or the ``ConnectorError`` it
    raised); the payment as stored when the batch's outcome is unknown."""
    requests = [
        authorization_request(
            payment=o.payment,
            attempt=o.attempt,
            details=saved_details(o.checked),
            merchant_initiated=True,
        )
        for o in group
    ]
    try:
        return connector_for(institution).authorize_many(requests)
    except Exception as err:
        # A timeout, or a failure after the institution may have acted: never guess. Each
        # attempt is asked for by its reference (``attempts_reconcile``).
        if isinstance(err, ConnectorTimeout):
            logger.warning("batch of %s authorizations timed out; outcomes unknown", len(group))
        else:
            logger.exception("batch of %s authorizations failed; outcomes unknown", len(group))
    PaymentAttempt.objects.filter(
        pk__in=[o.attempt.pk for o in group], outcome=Outcome.PENDING
    ).update(outcome=Outcome.UNKNOWN, message="The institution did not answer; reconciling.")
    stored = Payment.objects.in_bulk([o.payment.pk for o in group])
    return [stored[o.payment.pk] for o in group]


def _sale_approved(o: Opened, answer: AuthorizationResult) -> bool:
    """An approval that captured the whole amount with it (the request asked for a sale)."""
    return (
        answer.decision == Decision.APPROVED
        and answer.captured == o.payment.amount
        and bool(answer.institution_reference)
    )


@transaction.atomic
def _sales_apply(sales: list) -> list:
    """Apply approved sales as ``authorization_apply`` and ``payment_capture_locked`` do; return
    those whose payment or attempt moved on meanwhile (applied one by one by the caller)."""
    if not sales:
        return []
    # The attempts, their payments and orders locked in one statement, in the orders' order.
    states = {
        pk: (outcome, payment_status, order_status)
        for pk, outcome, payment_status, order_status in PaymentAttempt.objects.select_for_update()
        .filter(pk__in=[o.attempt.pk for o, _ in sales])
        .order_by("payment__order_id")
        .values_list("pk", "outcome", "payment__status", "payment__order__status")
    }
    fresh = (Outcome.PENDING, Payment.Status.PROCESSING, Order.Status.PENDING)
    applied = [(o, a) for o, a in sales if states.get(o.attempt.pk) == fresh]
    late = [(o, a) for o, a in sales if states.get(o.attempt.pk) != fresh]
    now = timezone.now()
    entries = []
    with event_batch():  # every answer's events (authorized, captured, paid) in one INSERT
        for o, result in applied:
            entries.append(_sale_apply(o, result, now))
    PaymentAttempt.objects.bulk_update(
        [o.attempt for o, _ in applied],
        ["outcome", "finished_at", "institution_reference", "decline_code", "message"],
    )
    Payment.objects.bulk_update(
        [o.payment for o, _ in applied],
        [
            "status",
            "institution_reference",
            "amount_authorized",
            "authorized_at",
            "authorization_expires_at",
            "amount_captured",
            "captured_at",
            "updated",
        ],
    )
    Order.objects.bulk_update([o.order for o, _ in applied], ["status", "paid_at", "updated"])
    journal_post_many(entries)
    return late


def _sale_apply(o: Opened, result: AuthorizationResult, now):
    """One sale, in memory: the attempt approved, the payment authorized and captured, the
    order paid, their events recorded; return the capture's journal entry."""
    attempt, payment, order = o.attempt, o.payment, o.order
    attempt.finished_at = now
    attempt.institution_reference = result.institution_reference or attempt.institution_reference
    attempt.decline_code, attempt.message = result.decline_code, result.message[:200]
    attempt.outcome = Outcome.APPROVED
    payment.institution_reference = result.institution_reference
    payment.amount_authorized = payment.amount
    payment.authorized_at = now
    payment.authorization_expires_at = now + settings.PAYMENTS_AUTHORIZATION_TTL
    transition_run(payment.authorize)
    event_record(obj=payment, type="payment.authorized")
    # The capture the institution made with the authorization (``payment_capture_locked``
    # with ``at_institution``); a batch payment converts nothing (``recurring`` checked).
    payment.amount_captured = result.captured
    payment.captured_at = payment.updated = now
    transition_run(payment.capture)
    order.paid_at = order.updated = now
    transition_run(order.pay)
    # A new order of the batch: this payment is its only one.
    data = order_data(order, payments=[payment])
    event_record(obj=payment, type="payment.captured")
    event_record(obj=order, type="order.paid", data=data)
    return capture_entry(payment=payment)
