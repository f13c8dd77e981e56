"""The run_settlement command, the beat tasks and the cut-off setting."""

from datetime import date, time

import pytest
import time_machine
from django.core.management import CommandError, call_command

from settlement.models import Payout, SettlementBatch
from settlement.services import cutoff_for, latest_cutoff
from settlement.tasks import payouts_pay_due_task, settlement_run_task
from tests.settlement.conftest import utc

pytestmark = pytest.mark.django_db


def test_run_settlement_closes_the_batches_of_the_given_day(capture_at, capsys, assert_invariants):
    capture_at(utc(2026, 11, 23, 12))
    capture_at(utc(2026, 11, 24, 12))

    call_command("run_settlement", "--cutoff", "2026-11-24")

    batch = SettlementBatch.objects.get()
    assert batch.cutoff == utc(2026, 11, 24)
    assert batch.payment_count == 1
    out = capsys.readouterr().out
    assert batch.public_id in out
    assert "1 batch(es) closed" in out
    assert_invariants()


def test_run_settlement_twice_for_the_same_day_closes_nothing_more(capture_at, capsys):
    capture_at(utc(2026, 11, 23, 12))
    call_command("run_settlement", "--cutoff", "2026-11-24")

    call_command("run_settlement", "--cutoff", "2026-11-24")

    assert SettlementBatch.objects.count() == 1
    assert "0 batch(es) closed" in capsys.readouterr().out


def test_run_settlement_refuses_a_cutoff_in_the_future():
    with time_machine.travel(utc(2026, 11, 24, 12), tick=False), pytest.raises(CommandError):
        call_command("run_settlement", "--cutoff", "2026-11-25")


def test_the_cutoff_time_comes_from_the_setting(settings, capture_at):
    settings.SETTLEMENT_CUTOFF_TIME = "18:30"
    early = capture_at(utc(2026, 11, 24, 18, 29))
    capture_at(utc(2026, 11, 24, 18, 31))

    call_command("run_settlement", "--cutoff", "2026-11-24")

    batch = SettlementBatch.objects.get()
    assert batch.cutoff == utc(2026, 11, 24, 18, 30)
    assert batch.gross_amount == early.amount_captured


def test_without_the_setting_the_cutoff_is_midnight_utc(settings):
    del settings.SETTLEMENT_CUTOFF_TIME
    assert latest_cutoff(now=utc(2026, 11, 24, 12)) == utc(2026, 11, 24)


@pytest.mark.parametrize(
    ("now", "setting", "expected"),
    [
        (utc(2026, 11, 24, 0, 5), "00:00", utc(2026, 11, 24)),
        (utc(2026, 11, 24, 0, 0), "00:00", utc(2026, 11, 24)),
        (utc(2026, 11, 24, 17, 0), "18:00", utc(2026, 11, 23, 18)),
        (utc(2026, 11, 24, 19, 0), time(18, 0), utc(2026, 11, 24, 18)),
    ],
)
def test_the_latest_cutoff_is_the_last_one_passed(settings, now, setting, expected):
    settings.SETTLEMENT_CUTOFF_TIME = setting
    assert latest_cutoff(now=now) == expected


def test_the_beat_task_settles_the_latest_cutoff_and_pays_due_payouts(
    capture_at, django_capture_on_commit_callbacks, assert_invariants
):
    capture_at(utc(2026, 11, 23, 12))

    with time_machine.travel(utc(2026, 11, 24, 0, 15), tick=False):
        ids = settlement_run_task.delay().get()
    with time_machine.travel(utc(2026, 11, 26, 6), tick=False):
        assert payouts_pay_due_task.delay().get() == 0  # Thanksgiving: due Friday 27
    with (
        time_machine.travel(utc(2026, 11, 27, 6), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert payouts_pay_due_task.delay().get() == 1

    assert ids == [SettlementBatch.objects.get().public_id]
    assert Payout.objects.get().status == "paid"
    assert_invariants()


def test_a_task_given_a_cutoff_settles_that_one(capture_at):
    capture_at(utc(2026, 11, 23, 12))

    settlement_run_task.delay(cutoff_for(date(2026, 11, 24)).isoformat())

    assert SettlementBatch.objects.get().cutoff == utc(2026, 11, 24)
