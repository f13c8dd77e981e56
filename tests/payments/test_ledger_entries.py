"""The journal entries a capture and a refund write: what each records and under which key."""

import pytest

from ledger.models import JournalEntry
from ledger.services import Line, journal_post
from payments.services import refund_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def refunded(captured_payment, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        refund = refund_create(
            merchant=captured_payment.merchant, payment_id=captured_payment.public_id, amount=400
        )
    refund.refresh_from_db()
    assert refund.status == "succeeded"
    return refund


def test_a_capture_and_a_refund_are_each_one_entry_under_their_own_key(captured_payment, refunded):
    payment_id, refund_id = captured_payment.public_id, refunded.public_id

    entries = {
        entry.kind: (entry.reference, entry.description, entry.idempotency_key)
        for entry in JournalEntry.objects.all()
    }

    assert entries == {
        "capture": (payment_id, f"Capture of {payment_id}", f"capture:{payment_id}"),
        "refund": (refund_id, f"Refund {refund_id} of {payment_id}", f"refund:{refund_id}"),
    }


def test_a_refund_posted_again_under_its_key_writes_nothing(refunded, captured_payment):
    merchant, institution = captured_payment.merchant.public_id, captured_payment.institution
    before = JournalEntry.objects.count()

    again = journal_post(
        kind="refund",
        reference=refunded.public_id,
        idempotency_key=f"refund:{refunded.public_id}",
        lines=[
            Line(owner=merchant, kind="merchant_pending", currency="USD", amount=400),
            Line(owner=institution, kind="institution_receivable", currency="USD", amount=-400),
        ],
    )

    assert JournalEntry.objects.count() == before
    assert again == JournalEntry.objects.get(kind="refund")
