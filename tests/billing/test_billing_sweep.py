"""The beat sweep renews customers on the wall clock, and leaves test clocks' customers alone."""

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

from billing.tasks import billing_sweep_task

from .subscription_helpers import Merchant

pytestmark = pytest.mark.django_db


@pytest.fixture
def m(api, django_capture_on_commit_callbacks):
    return Merchant(api, django_capture_on_commit_callbacks)


def test_the_sweep_is_on_the_beat_schedule_every_minute():
    entry = settings.CELERY_BEAT_SCHEDULE["billing-sweep"]
    assert entry == {"task": "billing.tasks.billing_sweep_task", "schedule": 60.0}


def test_the_sweep_renews_due_subscriptions_of_the_wall_clock_only(
    m, django_capture_on_commit_callbacks
):
    customer = m.customer()
    on_wall_clock = m.subscribe(customer, m.price(), m.card(customer))
    clocked_customer = m.customer(m.clock(timezone.now().isoformat()))
    on_test_clock = m.subscribe(clocked_customer, m.price(), m.card(clocked_customer))

    with time_machine.travel(timezone.now() + timedelta(days=32), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            done = billing_sweep_task.delay().get()
        again = billing_sweep_task.delay().get()

    assert done["steps"] >= 1 and again["steps"] == 0
    assert [i["status"] for i in m.invoices(on_wall_clock)] == ["paid", "paid"]
    assert len(m.invoices(on_test_clock)) == 1
