"""Celery messages carry ids only: no card number, CVC or OTP code ever enters the broker."""

import json
import re

import pytest
from celery.app.task import Task

from payments.models import OutboxMessage
from payments.services import otp_verify, refund_create
from tests.conftest import OTP_CARD, card

pytestmark = pytest.mark.django_db


def test_no_card_data_or_code_is_put_in_a_task_message(
    order, pay, monkeypatch, django_capture_on_commit_callbacks
):
    sent = []
    original = Task.apply_async

    def recording_apply_async(self, args=None, kwargs=None, **options):
        sent.append(json.dumps({"task": self.name, "args": args, "kwargs": kwargs}, default=str))
        return original(self, args, kwargs, **options)

    monkeypatch.setattr(Task, "apply_async", recording_apply_async)

    payment = pay(order, card(OTP_CARD, cvc="358"))
    code = re.search(r"\d{6}", OutboxMessage.objects.get(payment=payment).body).group(0)
    with django_capture_on_commit_callbacks(execute=True):
        payment = otp_verify(payment_pk=payment.pk, code=code)
        refund_create(merchant=payment.merchant, payment_id=payment.public_id, amount=100)

    assert sent, "the flow should have sent tasks"
    messages = "\n".join(sent)
    assert OTP_CARD not in messages
    assert "358" not in re.sub(r"[A-Za-z0-9_]{20,}", "", messages)
    assert code not in messages
