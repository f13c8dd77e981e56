"""Credit notes: their own number series, reducing what is due, refunding or crediting what was
paid, each step in the ledger."""

import pytest
from django.utils import timezone

from billing.models import Invoice
from invoicing.models import CustomerBalance
from ledger.models import JournalEntry
from ledger.selectors import account_balance
from merchant_portal.invariants import all_violations
from payments.models import Event, Payment, Refund
from tests.invoicing.test_pay_link import DUE, card_data

pytestmark = pytest.mark.django_db

YEAR = timezone.now().year


@pytest.fixture
def credit(api, django_capture_on_commit_callbacks):
    def post(invoice, **body):
        body.setdefault("reason", "order_change")
        with django_capture_on_commit_callbacks(execute=True):
            return api.post(f"/api/v1/invoices/{invoice['id']}/credit-notes", body, format="json")

    return post


@pytest.fixture
def paid_invoice(open_invoice, pay, checkout):
    invoice = open_invoice()
    checkout(pay(invoice), **card_data())
    assert Invoice.objects.get(public_id=invoice["id"]).status == "paid"
    return invoice


def _receivable(customer):
    return account_balance(owner=customer["id"], kind="customer_receivable", currency="EUR")


def test_a_credit_note_on_an_open_invoice_reduces_what_is_due(api, open_invoice, credit, customer):
    invoice = open_invoice()
    response = credit(invoice, amount=8250, memo="Travel not due")
    assert response.status_code == 201, response.content
    note = response.json()
    assert note["number"] == f"CN-{YEAR}-000001"
    assert (note["due_reduction"], note["refund_amount"], note["refunds"]) == (8250, 0, [])
    after = api.get(f"/api/v1/invoices/{invoice['id']}").json()
    assert (after["status"], after["amount_remaining"]) == ("open", DUE - 8250)
    assert _receivable(customer) == DUE - 8250
    assert Event.objects.filter(type="credit_note.created", object_id=note["id"]).exists()


def test_credit_notes_have_their_own_gap_free_series(open_invoice, credit):
    first, second = open_invoice(), open_invoice()
    numbers = [
        credit(first, amount=100).json()["number"],
        credit(second, amount=100).json()["number"],
        credit(first, amount=100).json()["number"],
    ]
    assert numbers == [f"CN-{YEAR}-{n:06d}" for n in (1, 2, 3)]
    assert second["number"] == f"INV-{YEAR}-000002"  # the invoice series is untouched


def test_a_credit_note_by_lines_adds_their_tax(open_invoice, credit):
    invoice = open_invoice()
    note = credit(
        invoice, lines=[{"description": "1 day less", "unit_amount": 15000, "tax_rate_bps": 2000}]
    ).json()
    assert (note["amount"], note["tax"]) == (18000, 3000)
    assert note["lines"][0]["description"] == "1 day less"


def test_crediting_all_that_is_due_settles_the_invoice(api, open_invoice, credit, customer):
    invoice = open_invoice()
    credit(invoice, amount=DUE, reason="duplicate")
    assert api.get(f"/api/v1/invoices/{invoice['id']}").json()["status"] == "paid"
    assert _receivable(customer) == 0


def test_a_credit_note_on_a_paid_invoice_refunds_through_the_payment_core(paid_invoice, credit):
    note = credit(paid_invoice, amount=5000, reason="product_unsatisfactory").json()
    assert (note["due_reduction"], note["refund_amount"]) == (0, 5000)
    refund = Refund.objects.get(public_id=note["refunds"][0])
    assert (refund.amount, refund.status) == (5000, "succeeded")
    assert Payment.objects.get(pk=refund.payment_id).amount_refunded == 5000
    assert JournalEntry.objects.filter(kind="refund", reference=refund.public_id).exists()
    assert all_violations() == []


def test_a_credit_note_may_go_to_the_customer_balance_instead(paid_invoice, credit, customer):
    note = credit(paid_invoice, amount=5000, credit_to="customer_balance").json()
    assert (note["refund_amount"], note["customer_balance_amount"]) == (0, 5000)
    assert not Refund.objects.exists()
    assert CustomerBalance.objects.get().amount == 5000
    assert account_balance(owner=customer["id"], kind="customer_credit", currency="EUR") == -5000
    assert JournalEntry.objects.filter(kind="credit_note").count() == 1


def test_part_due_part_paid_is_split(open_invoice, pay, checkout, credit):
    invoice = open_invoice()
    checkout(pay(invoice, "500.00"), **card_data())  # 82.50 still due
    note = credit(invoice, amount=10000).json()
    assert (note["due_reduction"], note["refund_amount"]) == (8250, 1750)
    assert Invoice.objects.get(public_id=invoice["id"]).status == "paid"


def test_without_amount_or_lines_all_that_is_creditable_is_credited(open_invoice, credit):
    invoice = open_invoice()
    credit(invoice, amount=250)
    assert credit(invoice).json()["amount"] == DUE - 250
    assert credit(invoice).status_code == 400  # nothing is left


def test_more_than_the_invoice_cannot_be_credited(open_invoice, credit):
    invoice = open_invoice()
    assert credit(invoice, amount=DUE - 100).status_code == 201
    refused = credit(invoice, amount=101)
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["code"] == "exceeds_creditable"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"amount": 100, "lines": [{"description": "x", "unit_amount": 1}]}, "amount"),
        ({"amount": 100, "reason": "because"}, "reason"),
        ({"amount": -5}, "amount"),
    ],
)
def test_bad_credit_notes_are_refused_field_by_field(open_invoice, credit, body, field):
    response = credit(open_invoice(), **body)
    assert response.status_code == 400, response.content
    assert response.json()["errors"][0]["field"] == field


def test_a_draft_and_a_void_invoice_take_no_credit_note(api, create_invoice, open_invoice, credit):
    assert credit(create_invoice(), amount=100).status_code == 409
    voided = open_invoice()
    api.post(f"/api/v1/invoices/{voided['id']}/void")
    assert credit(voided, amount=100).status_code == 409


def test_credit_notes_are_listed_with_their_invoice(api, open_invoice, credit, other_api):
    invoice = open_invoice()
    note = credit(invoice, amount=100).json()
    listed = api.get(f"/api/v1/invoices/{invoice['id']}/credit-notes").json()
    assert [n["id"] for n in listed["data"]] == [note["id"]]
    assert other_api.get(f"/api/v1/invoices/{invoice['id']}/credit-notes").status_code == 404
