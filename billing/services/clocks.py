"""Test clocks: sandbox time for the customers created on them.

``billing_now`` is where the engine reads the time of a customer: its clock's ``frozen_time``,
else the wall clock. Every billing service takes ``now`` explicitly from it, so a clock's
customers renew, retry and expire in the clock's time only.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from backoffice.on_commit import send_on_commit
from payments.errors import InvalidTransition, NotFound, ValidationFailed
from payments.models import Merchant
from payments.validation import FieldError

from ..models import Customer, TestClock

NAME_MAX = TestClock._meta.get_field("name").max_length
#: How far one advance may go: a few years of billing is what a merchant wants to watch.
ADVANCE_MAX_DAYS = 5 * 366


def billing_now(customer: Customer) -> datetime:
    """Return the customer's time: its test clock's frozen time, else now."""
    if customer.test_clock_id is None:
        return timezone.now()
    return TestClock.objects.values_list("frozen_time", flat=True).get(pk=customer.test_clock_id)


def test_clock_create(*, merchant: Merchant, livemode: bool, frozen_time, name: str) -> TestClock:
    """Create a clock at ``frozen_time``; clocks are a test-mode tool only."""
    errors = []
    if livemode:
        errors.append(FieldError(None, "livemode", "Test clocks exist in test mode only."))
    if not isinstance(frozen_time, datetime) or timezone.is_naive(frozen_time):
        errors.append(FieldError("frozen_time", "invalid", "Give a time with its time zone."))
    if not isinstance(name, str) or len(name) > NAME_MAX:
        errors.append(FieldError("name", "too_long", f"A name has at most {NAME_MAX} characters."))
    if errors:
        raise ValidationFailed(errors)
    return TestClock.objects.create(merchant=merchant, frozen_time=frozen_time, name=name)


test_clock_create.__test__ = False


def test_clock_advance(*, clock: TestClock, frozen_time) -> TestClock:
    """Start moving the clock to ``frozen_time``: ``advancing`` until every renewal, retry,
    trial end and expiry due on the way has run (a task, sent on commit), then ``ready``."""
    from ..tasks import test_clock_advance_task

    with transaction.atomic():
        clock = TestClock.objects.select_for_update().filter(pk=clock.pk).first()
        if clock is None:
            raise NotFound("No such test clock.")
        if clock.status != TestClock.Status.READY:
            raise InvalidTransition("The clock is advancing; wait until it is ready.")
        if not isinstance(frozen_time, datetime) or timezone.is_naive(frozen_time):
            raise ValidationFailed(
                [FieldError("frozen_time", "invalid", "Give a time with its time zone.")]
            )
        if frozen_time <= clock.frozen_time:
            raise ValidationFailed(
                [FieldError("frozen_time", "not_later", "A clock only moves forward.")]
            )
        if (frozen_time - clock.frozen_time).days > ADVANCE_MAX_DAYS:
            raise ValidationFailed(
                [FieldError("frozen_time", "too_far", "Advance at most 5 years at a time.")]
            )
        clock.status = TestClock.Status.ADVANCING
        clock.advance_to = frozen_time
        clock.save(update_fields=["status", "advance_to", "updated"])
        send_on_commit(test_clock_advance_task, clock.pk)
    return clock


test_clock_advance.__test__ = False
