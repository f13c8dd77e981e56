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
from django.db import OperationalError, transaction
from django.db.models import Case, F, Value, When
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
from .events import event_batch, event_record, last_sequences
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
    try:
        late = _sales_apply(sales)
    except OperationalError as err:
        # Too busy to record them together (a lock timeout, a deadlock victim): the institution
        # has acted, so each answer is applied alone, ``processing`` if still too busy.
        logger.warning("batch of %s sales not applied together: %s", len(sales), err)
        late = sales
    for o, answer in late:
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
    """A plain approval that captured the whole amount with it (the request asked a sale)."""
    return (
        answer.decision == Decision.APPROVED
        and answer.captured == o.payment.amount
        and bool(answer.institution_reference)
        and not answer.decline_code
        and not answer.message
    )


@transaction.atomic
def _sales_apply(sales: list) -> list:
    """Apply approved sales as ``authorization_apply`` and ``payment_capture_locked`` do; return
    those whose payment or attempt moved on meanwhile (applied one by one by the caller)."""
    if not sales:
        return []
    # Locked as ``authorization_apply`` locks one: the orders, then the attempts with their
    # payments (one statement each, in primary-key order).
    orders = dict(
        Order.objects.select_for_update()
        .filter(pk__in=[o.order.pk for o, _ in sales])
        .order_by("pk")
        .values_list("pk", "status")
    )
    states = {
        pk: (outcome, payment_status)
        for pk, outcome, payment_status in PaymentAttempt.objects.select_for_update()
        .filter(pk__in=[o.attempt.pk for o, _ in sales])
        .order_by("pk")
        .values_list("pk", "outcome", "payment__status")
    }
    fresh = (Outcome.PENDING, Payment.Status.PROCESSING)

    def untouched(o: Opened) -> bool:
        return orders.get(o.order.pk) == Order.Status.PENDING and states.get(o.attempt.pk) == fresh

    applied = [(o, a) for o, a in sales if untouched(o)]
    late = [(o, a) for o, a in sales if not untouched(o)]
    now = timezone.now()
    # Under the locks just taken no other event of these objects can be recorded.
    last = last_sequences(
        [o.payment.public_id for o, _ in applied] + [o.order.public_id for o, _ in applied]
    )
    entries = []
    with event_batch():  # every answer's events (authorized, captured, paid) in one INSERT
        for o, result in applied:
            entries.append(_sale_apply(o, result, now, last))
    # Every sale's row takes the same values but its institution's reference: one UPDATE
    # each, far cheaper to build than ``bulk_update``'s one CASE per column.
    attempts = {o.attempt.pk: o.attempt for o, _ in applied}
    payments = {o.payment.pk: o.payment for o, _ in applied}
    if applied:
        PaymentAttempt.objects.filter(pk__in=attempts).update(
            outcome=Outcome.APPROVED,
            finished_at=now,
            decline_code="",
            message="",
            institution_reference=_each(attempts, "institution_reference"),
        )
        Payment.objects.filter(pk__in=payments).update(
            status=Payment.Status.CAPTURED,
            institution_reference=_each(payments, "institution_reference"),
            amount_authorized=F("amount"),
            amount_captured=F("amount"),
            authorized_at=now,
            authorization_expires_at=now + settings.PAYMENTS_AUTHORIZATION_TTL,
            captured_at=now,
            updated=now,
        )
        Order.objects.filter(pk__in=[o.order.pk for o, _ in applied]).update(
            status=Order.Status.PAID, paid_at=now, updated=now
        )
    journal_post_many(entries)
    return late


def _each(rows: dict, name: str) -> Case:
    """The value of column ``name`` of each of ``rows`` (by primary key), for one UPDATE."""
    return Case(*(When(pk=pk, then=Value(getattr(row, name))) for pk, row in rows.items()))


def _sale_apply(o: Opened, result: AuthorizationResult, now, last: dict[str, int]):
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
    sequence = last[payment.public_id]
    event_record(obj=payment, type="payment.authorized", sequence=sequence + 1)
    # The capture the institution made with the authorization (``payment_capture_locked``
    # with ``at_institution``); a batch payment converts nothing (``recurring`` checked).
    payment.amount_captured = result.captured
    payment.captured_at = payment.updated = now
    transition_run(payment.capture)
    order.paid_at = order.updated = now
    transition_run(order.pay)
    # A new order of the batch: this payment is its only one.
    data = order_data(order, payments=[payment])
    event_record(obj=payment, type="payment.captured", sequence=sequence + 2)
    event_record(obj=order, type="order.paid", data=data, sequence=last[order.public_id] + 1)
    return capture_entry(payment=payment)
