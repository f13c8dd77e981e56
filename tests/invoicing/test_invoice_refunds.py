"""A refund of an invoice's payment made outside invoicing (the payments API, the back office)
is recorded on the invoice as a credit note refunded by that refund: the invoice shows it, the
ledger balances, ``credit_note.created`` is sent."""

import pytest
from django.test import Client
from django.urls import reverse

from billing.models import Invoice
from invoicing.models import CreditNote
from ledger.models import JournalEntry
from merchant_portal.invariants import all_violations
from payments.models import Event, Payment, Refund
from tests.admin.conftest import totp_now
from tests.invoicing.test_pay_link import DUE, card_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid_invoice(open_invoice, pay, checkout):
    invoice = open_invoice()
    checkout(pay(invoice), **card_data())
    return invoice


def _payment(invoice) -> Payment:
    return Payment.objects.get(order__invoice_link__invoice__public_id=invoice["id"])


def _refund_by_api(api, payment, captured, **body):
    with captured(execute=True):
        return api.post(f"/api/v1/payments/{payment.public_id}/refunds", body, format="json")


def test_a_partial_refund_through_the_payments_api_shows_on_the_invoice(
    api, paid_invoice, django_capture_on_commit_callbacks
):
    before = api.get(f"/api/v1/invoices/{paid_invoice['id']}").json()
    assert (before["status"], before["amount_paid"], before["amount_refunded"]) == ("paid", DUE, 0)

    response = _refund_by_api(
        api, _payment(paid_invoice), django_capture_on_commit_callbacks, amount=5000, reason="Late"
    )
    assert response.status_code == 201, response.content
    refund_id = response.json()["id"]

    after = api.get(f"/api/v1/invoices/{paid_invoice['id']}").json()
    assert (after["amount_credited"], after["amount_refunded"]) == (5000, 5000)
    assert (after["status"], after["amount_remaining"]) == ("paid", 0)
    notes = api.get(f"/api/v1/invoices/{paid_invoice['id']}/credit-notes").json()["data"]
    assert len(notes) == 1
    note = notes[0]
    assert (note["amount"], note["refund_amount"], note["due_reduction"]) == (5000, 5000, 0)
    assert note["refunds"] == [refund_id]
    assert note["reason"] == "other" and refund_id in note["memo"] and "Late" in note["memo"]
    assert Event.objects.filter(type="credit_note.created", object_id=note["id"]).count() == 1
    assert Refund.objects.get(public_id=refund_id).status == "succeeded"
    assert JournalEntry.objects.filter(kind="refund", reference=refund_id).exists()
    assert all_violations() == []


def test_the_invoice_is_credited_at_most_its_total_and_a_credit_note_is_not_doubled(
    api, paid_invoice, django_capture_on_commit_callbacks
):
    # A credit note's own refund is that note's: no second credit note for it.
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            f"/api/v1/invoices/{paid_invoice['id']}/credit-notes",
            {"amount": 8000, "reason": "order_change"},
            format="json",
        )
    assert response.status_code == 201, response.content
    assert CreditNote.objects.count() == 1

    # The rest, refunded through the payments API, is credited in full and no more.
    _refund_by_api(api, _payment(paid_invoice), django_capture_on_commit_callbacks)
    after = api.get(f"/api/v1/invoices/{paid_invoice['id']}").json()
    assert (after["amount_credited"], after["amount_refunded"]) == (DUE, DUE)
    assert CreditNote.objects.count() == 2
    assert all_violations() == []


def test_a_refund_of_a_payment_without_invoice_makes_no_credit_note(
    api, order, checkout, django_capture_on_commit_callbacks
):
    checkout(order, **card_data())
    payment = Payment.objects.get(order=order, status="captured")
    response = _refund_by_api(api, payment, django_capture_on_commit_callbacks)
    assert response.status_code == 201, response.content
    assert not CreditNote.objects.exists()


def test_a_refund_from_the_back_office_shows_on_the_invoice(
    api, paid_invoice, make_staff, merchant, login, django_capture_on_commit_callbacks
):
    manager = make_staff(merchant, "manager")
    staff = login(manager, Client())
    payment = _payment(paid_invoice)
    with django_capture_on_commit_callbacks(execute=True):
        staff.post(
            reverse("admin:payments_payment_refund", args=[payment.pk]),
            {
                "amount": "12.34",
                "reason": "Goodwill",
                "confirm": "on",
                "otp_token": totp_now(manager),
            },
        )
    assert Refund.objects.get(payment=payment).amount == 1234
    after = api.get(f"/api/v1/invoices/{paid_invoice['id']}").json()
    assert after["amount_refunded"] == 1234
    assert Invoice.objects.get(public_id=paid_invoice["id"]).amount_paid == DUE
    assert all_violations() == []


def test_a_refund_that_fails_leaves_what_it_was_to_refund_as_the_customers_credit(
    api, paid_invoice, monkeypatch, django_capture_on_commit_callbacks
):
    import payments.services.refunds as refunds
    from institutions.connector import OperationResult

    real = refunds.connector_for

    class Refusing:
        def __init__(self, code):
            self.real = real(code)

        def refund(self, **kwargs):
            return OperationResult(succeeded=False, failure_code="account_closed")

    monkeypatch.setattr(refunds, "connector_for", Refusing)
    response = _refund_by_api(
        api, _payment(paid_invoice), django_capture_on_commit_callbacks, amount=3000
    )
    assert Refund.objects.get(public_id=response.json()["id"]).status == "failed"

    note = api.get(f"/api/v1/invoices/{paid_invoice['id']}/credit-notes").json()["data"][0]
    assert (note["amount"], note["refund_amount"], note["customer_balance_amount"]) == (
        3000,
        0,
        3000,
    )
    after = api.get(f"/api/v1/invoices/{paid_invoice['id']}").json()
    assert (after["amount_credited"], after["amount_refunded"]) == (3000, 0)
    assert CreditNote.objects.get().balance_amount == 3000
    assert all_violations() == []  # the customer's balance and its ledger account hold 3000
