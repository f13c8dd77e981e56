"""check_invariants covers invoicing: the receivable, the totals and the credit balances."""

import pytest

from billing.models import Invoice
from invoicing.models import CustomerBalance
from merchant_portal.invariants import all_violations
from tests.invoicing.test_pay_link import card_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def settled(client, api, open_invoice, pay, checkout, django_capture_on_commit_callbacks):
    """One invoice voided, one open, one paid in part, credited in part, then overpaid."""
    api.post(f"/api/v1/invoices/{open_invoice()['id']}/void")
    open_invoice()
    invoice = open_invoice()
    checkout(pay(invoice, "100.00"), **card_data())
    with django_capture_on_commit_callbacks(execute=True):
        api.post(
            f"/api/v1/invoices/{invoice['id']}/credit-notes",
            {"amount": 1000, "reason": "other"},
            format="json",
        )
    one, two = pay(invoice), pay(invoice, "10.00")
    transfer = checkout(two, method="bank_transfer")  # under way
    checkout(one, **card_data())
    client.post(transfer + "simulate-transfer")  # arrives after the invoice was paid
    return invoice


def test_a_busy_invoicing_day_keeps_every_invariant(settled):
    assert Invoice.objects.get(public_id=settled["id"]).status == "paid"
    assert CustomerBalance.objects.get().amount == 1000
    assert all_violations() == []


def test_a_remaining_amount_changed_behind_the_ledger_is_reported(settled):
    Invoice.objects.filter(status="open").update(amount_remaining=1)
    found = all_violations()
    assert any("ledger receivable" in v for v in found), found
    assert any("differs from its total" in v for v in found), found


def test_a_credit_balance_changed_by_hand_is_reported(settled):
    CustomerBalance.objects.update(amount=5)
    assert any("balance 5 differs" in v for v in all_violations())
