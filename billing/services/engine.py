"""The billing engine: finds the work due in the database and does it.

``billing_sweep`` (Celery beat, every minute) serves customers on the wall clock; a test clock's
advance (``test_clock_advance_run``) serves that clock's customers only, stepping its time
through every moment something is due, in order. Rows are claimed with
``select_for_update(skip_locked=True)``: several workers share the work and none waits for
another; each charge is made once (``billing.services.charges``). Due subscriptions are taken
by batches (``BILLING_RENEWAL_BATCH``): the plain renewals and announcements of a batch are done
in bulk (``batch_open``, ``batch_apply``), the rest one by one by ``subscription_step``.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from datetime import datetime

from django.db import transaction
from django.db.models import Min, Q
from django.utils import timezone

from backoffice.metrics import sweep_found

from ..conf import setting
from ..models import Invoice, Subscription, TestClock
from .batch_apply import attempts_charge
from .batch_open import batch_claim, batch_classify, renewals_open, upcoming_announce_many
from .charges import attempt_open, charge_attempt_run, charge_attempts_recover
from .notices import notices_send_due
from .schedule import subscription_step

logger = logging.getLogger(__name__)

#: Steps one subscription may take in one pass (a sweep catching up after an outage).
STEPS_MAX = 60
#: A clock's advance waits this often (seconds × round) for rows another worker holds, then
#: gives up on them: their worker does them.
IDLE_ROUNDS_MAX = 8
IDLE_SLEEP = 0.02


def _scope(clock: TestClock | None, prefix: str = "") -> Q:
    if clock is None:
        return Q(**{f"{prefix}customer__test_clock__isnull": True})
    return Q(**{f"{prefix}customer__test_clock": clock})


def _claim_subscription(pk: int, *, due_by: datetime | None = None) -> Subscription | None:
    """Lock the subscription unless another worker holds it (then None)."""
    rows = Subscription.objects.select_for_update(skip_locked=True, of=("self",)).select_related(
        "customer", "price", "payment_method", "merchant"
    )
    if due_by is not None:
        rows = rows.filter(due_at__lte=due_by)
    return rows.filter(pk=pk).first()


def subscriptions_due(*, now: datetime, clock: TestClock | None = None) -> int:
    """Do the subscription work due by ``now`` in the scope; return how many steps were taken.

    By batches of ``BILLING_RENEWAL_BATCH`` (``renewal_batch``); a batch of 1 is the
    one-by-one path, each subscription claimed and stepped in its own transaction.
    """
    size = setting("BILLING_RENEWAL_BATCH")
    if size <= 1:
        return _subscriptions_due_one_by_one(now=now, clock=clock)
    if not Subscription.objects.filter(_scope(clock), due_at__lte=now).exists():
        return 0
    steps, limit = 0, setting("BILLING_SWEEP_BATCH")
    taken: Counter[int] = Counter()
    while steps < limit:
        # A subscription still due after a step (a sweep catching up) is claimed again, up to
        # STEPS_MAX times in one pass.
        worn = [pk for pk, n in taken.items() if n >= STEPS_MAX]
        pks = renewal_batch(scope=_scope(clock), now=now, size=min(size, limit - steps), skip=worn)
        if not pks:
            break  # nothing due left, or all held by other workers
        taken.update(pks)
        steps += len(pks)
    return steps


def renewal_batch(*, scope: Q, now: datetime, size: int, skip=()) -> list[int]:
    """Claim up to ``size`` due subscriptions and do their step: plain renewals and
    announcements in bulk, the others one by one (``subscription_step``); then charge the
    attempts opened. Return the pks of the subscriptions stepped."""
    with transaction.atomic():
        claimed = batch_claim(scope=scope, now=now, size=size, skip=skip)
        if not claimed:
            return []
        batch = batch_classify(claimed, now=now)
        plain = renewals_open(batch.renewals, now=now) if batch.renewals else []
        if batch.upcoming:
            upcoming_announce_many(batch.upcoming, now=now)
        others = []
        for subscription in batch.others:
            others += subscription_step(subscription=subscription, now=now)
    # Committed: each attempt is ``pending`` before its charge (the recovery finishes it).
    attempts_charge(plain=plain, others=others, now=now)
    return [subscription.pk for subscription in claimed]


def _subscriptions_due_one_by_one(*, now: datetime, clock: TestClock | None) -> int:
    due = Subscription.objects.filter(_scope(clock), due_at__lte=now).order_by("due_at", "pk")
    steps = 0
    for pk in list(due.values_list("pk", flat=True)[: setting("BILLING_SWEEP_BATCH")]):
        for _ in range(STEPS_MAX):
            with transaction.atomic():
                subscription = _claim_subscription(pk, due_by=now)
                if subscription is None:
                    break  # done, or another worker has it
                attempts = subscription_step(subscription=subscription, now=now)
            steps += 1
            for attempt in attempts:
                charge_attempt_run(attempt=attempt, now=now)
            if subscription.due_at is None or subscription.due_at > now:
                break  # its next work is later: no need to claim it again to find that out
    return steps


def invoices_retry_due(*, now: datetime, clock: TestClock | None = None) -> int:
    """Charge again the open subscription invoices whose next attempt is due; return how many."""
    due = Invoice.objects.filter(
        _scope(clock, "subscription__"),
        status=Invoice.Status.OPEN,
        next_payment_attempt__lte=now,
        subscription__isnull=False,
    ).order_by("next_payment_attempt", "pk")
    charged = 0
    rows = due.values_list("pk", "subscription_id")[: setting("BILLING_SWEEP_BATCH")]
    for invoice_pk, subscription_pk in list(rows):
        attempt = None
        with transaction.atomic():
            subscription = _claim_subscription(subscription_pk)
            if subscription is None:
                continue
            invoice = (
                Invoice.objects.select_for_update()
                .filter(pk=invoice_pk, status=Invoice.Status.OPEN, next_payment_attempt__lte=now)
                .first()
            )
            if invoice is None:
                continue  # paid, voided or taken meanwhile
            attempt = attempt_open(subscription=subscription, invoice=invoice, now=now)
        if attempt is not None:
            charge_attempt_run(attempt=attempt, now=now)
            charged += 1
    return charged


def billing_sweep(*, now: datetime | None = None) -> dict[str, int]:
    """One pass of the engine for customers on the wall clock (beat, every minute)."""
    now = now or timezone.now()
    done = {
        "steps": subscriptions_due(now=now),
        "retries": invoices_retry_due(now=now),
        "recovered": charge_attempts_recover(now=now),
        "notices": notices_send_due(now=now),
        "clocks": test_clocks_resume(now=now),
    }
    sweep_found(sweep="billing_charge_attempts", count=done["recovered"])
    return done


def next_due(clock: TestClock) -> datetime | None:
    """Return the earliest moment something is due for the clock's customers."""
    subs = Subscription.objects.filter(_scope(clock), due_at__isnull=False)
    invoices = Invoice.objects.filter(
        _scope(clock, "subscription__"),
        status=Invoice.Status.OPEN,
        next_payment_attempt__isnull=False,
    )
    moments = [
        subs.aggregate(at=Min("due_at"))["at"],
        invoices.aggregate(at=Min("next_payment_attempt"))["at"],
    ]
    moments = [m for m in moments if m is not None]
    return min(moments) if moments else None


def test_clock_advance_run(*, clock_pk: int) -> TestClock:
    """Move an ``advancing`` clock to its target through every due moment, then ``ready``."""
    clock = TestClock.objects.get(pk=clock_pk)
    if clock.status != TestClock.Status.ADVANCING or clock.advance_to is None:
        return clock
    target, current, idle_rounds = clock.advance_to, clock.frozen_time, 0
    # Charges a worker died in (the advance was sent again by the sweep) finish first.
    charge_attempts_recover(now=current, clock=clock, wall_now=timezone.now())
    while idle_rounds < IDLE_ROUNDS_MAX:
        moment = next_due(clock)
        if moment is None or moment > target:
            break
        current = max(moment, current)
        # The clock shows the moment being billed: services reading it agree with the engine.
        TestClock.objects.filter(pk=clock.pk).update(frozen_time=current, updated=timezone.now())
        worked = subscriptions_due(now=current, clock=clock)
        worked += invoices_retry_due(now=current, clock=clock)
        idle_rounds = 0 if worked else idle_rounds + 1
        if not worked:
            # Another worker holds what is due (SKIP LOCKED): let it finish, then look again.
            time.sleep(IDLE_SLEEP * idle_rounds)
    with transaction.atomic():
        clock = TestClock.objects.select_for_update().get(pk=clock.pk)
        clock.frozen_time, clock.advance_to = target, None
        clock.status = TestClock.Status.READY
        clock.save(update_fields=["frozen_time", "advance_to", "status", "updated"])
    return clock


test_clock_advance_run.__test__ = False


def test_clocks_resume(*, now: datetime) -> int:
    """Send again the advance of clocks left ``advancing`` by a lost task; return how many."""
    from ..tasks import test_clock_advance_task

    stale = TestClock.objects.filter(
        status=TestClock.Status.ADVANCING, updated__lt=now - setting("BILLING_ATTEMPT_STALE_AFTER")
    ).values_list("pk", flat=True)
    pks = list(stale[:50])
    for pk in pks:
        test_clock_advance_task.delay(pk)
    return len(pks)
