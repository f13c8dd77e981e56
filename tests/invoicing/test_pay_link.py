"""The pay link: the hosted invoice page, paying it through the hosted checkout by card or by
bank transfers in parts, overpayments to the customer's balance, and failed payments."""

import io
from urllib.parse import urlsplit

import pytest
from pypdf import PdfReader

from billing.models import Invoice
from invoicing.models import (
    CustomerBalance,
    CustomerBalanceTransaction,
    HostedInvoice,
    InvoiceOrder,
)
from ledger.selectors import account_balance
from merchant_portal.invariants import all_violations
from payments.models import Event

pytestmark = pytest.mark.django_db

DUE = 58250  # the invoice of LINES: 492.50 + 90.00 tax


def _path(url: str) -> str:
    return urlsplit(url).path


@pytest.fixture
def invoice(open_invoice):
    return open_invoice()


def card_data(number="4242 4242 4242 4242"):
    return {
        "method": "card",
        "number": number,
        "exp": "12 / 35",
        "cvc": "123",
        "holder_name": "Ada",
    }


def _invoice(invoice) -> Invoice:
    return Invoice.objects.get(public_id=invoice["id"])


def test_the_hosted_page_shows_the_invoice_and_what_is_due(client, invoice):
    response = client.get(_path(invoice["hosted_invoice_url"]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert invoice["number"] in html
    assert "Consulting, November" in html
    assert "€582.50" in html
    assert "Download PDF" in html


def test_the_hosted_pdf_is_the_invoice(client, invoice):
    response = client.get(_path(invoice["hosted_invoice_url"]) + "pdf")
    assert response.status_code == 200
    text = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    assert invoice["number"] in text


def test_an_unknown_link_and_a_drafts_link_are_not_found(client, create_invoice):
    create_invoice()
    assert client.get("/invoice/not-a-token/").status_code == 404
    token = HostedInvoice.objects.get().token  # a draft has its token, not yet its page
    assert client.get(f"/invoice/{token}/").status_code == 404


def test_paying_by_card_through_the_checkout_makes_the_invoice_paid(
    client, invoice, pay, checkout, customer
):
    order = pay(invoice)
    assert order.amount == DUE and order.currency == "EUR"
    assert order.return_url == invoice["hosted_invoice_url"]
    checkout(order, **card_data())

    paid = _invoice(invoice)
    assert paid.status == "paid"
    assert (paid.amount_paid, paid.amount_remaining) == (DUE, 0)
    assert Event.objects.filter(type="invoice.paid", object_id=invoice["id"]).exists()
    assert account_balance(owner=customer["id"], kind="customer_receivable", currency="EUR") == 0
    html = client.get(_path(invoice["hosted_invoice_url"])).content.decode()
    assert "Invoice paid" in html
    assert all_violations() == []


def test_a_bank_transfer_in_two_parts_ends_paid(client, invoice, pay, checkout, customer):
    first = pay(invoice, "300.00")
    page = checkout(first, method="bank_transfer")
    client.post(page + "simulate-transfer")

    part = _invoice(invoice)
    assert (part.status, part.amount_paid, part.amount_remaining) == ("open", 30000, DUE - 30000)
    assert account_balance(owner=customer["id"], kind="customer_receivable", currency="EUR") == (
        DUE - 30000
    )
    html = client.get(_path(invoice["hosted_invoice_url"])).content.decode()
    assert "€282.50" in html  # what is still due

    second = pay(invoice)  # all that remains
    assert second.amount == DUE - 30000
    page = checkout(second, method="bank_transfer")
    client.post(page + "simulate-transfer")

    paid = _invoice(invoice)
    assert (paid.status, paid.amount_paid, paid.amount_remaining) == ("paid", DUE, 0)
    assert account_balance(owner=customer["id"], kind="customer_receivable", currency="EUR") == 0
    assert all_violations() == []


def test_once_paid_the_other_orders_of_the_invoice_are_canceled(
    invoice, pay, checkout, django_capture_on_commit_callbacks
):
    stale, awaited = pay(invoice, "10.00"), pay(invoice, "20.00")
    checkout(awaited, method="bank_transfer")  # a transfer is awaited: left to come
    checkout(pay(invoice), **card_data())
    stale.refresh_from_db()
    awaited.refresh_from_db()
    assert (stale.status, awaited.status) == ("canceled", "pending")


def test_a_second_click_hands_out_the_same_order(invoice, pay):
    assert pay(invoice).pk == pay(invoice).pk
    assert pay(invoice, "100").pk != pay(invoice).pk


def test_the_link_cannot_start_payments_without_end(client, invoice, pay):
    for cents in range(1, 11):
        pay(invoice, f"{cents}.00")
    response = client.post(_path(invoice["hosted_invoice_url"]), {"amount": "11.00"})
    assert response.status_code == 400
    assert "already started" in response.content.decode()
    assert pay(invoice, "3.00")  # one already started is handed out again


def test_paying_more_than_due_or_nothing_is_refused_on_the_page(client, invoice):
    url = _path(invoice["hosted_invoice_url"])
    for typed in ("600.00", "0", "abc", "1.234"):
        response = client.post(url, {"amount": typed})
        assert response.status_code == 400, typed
        assert 'id="pay-error"' in response.content.decode()
    assert not InvoiceOrder.objects.exists()


def test_a_payment_after_the_invoice_was_paid_becomes_customer_credit(
    client, invoice, pay, checkout, customer
):
    one, two = pay(invoice), pay(invoice, "582.49")
    transfer = checkout(two, method="bank_transfer")  # under way
    checkout(one, **card_data())
    client.post(transfer + "simulate-transfer")  # arrives after the invoice was paid

    assert _invoice(invoice).amount_paid == DUE
    balance = CustomerBalance.objects.get(customer__public_id=customer["id"], currency="EUR")
    assert balance.amount == DUE - 1
    txn = CustomerBalanceTransaction.objects.get()
    assert txn.kind == "unapplied_payment"
    assert account_balance(owner=customer["id"], kind="customer_credit", currency="EUR") == -(
        DUE - 1
    )
    assert all_violations() == []


def test_the_credit_balance_pays_the_next_invoice_first(
    client, invoice, pay, checkout, open_invoice
):
    one, two = pay(invoice), pay(invoice, "100.00")
    transfer = checkout(two, method="bank_transfer")  # under way
    checkout(one, **card_data())
    client.post(transfer + "simulate-transfer")  # arrives after the invoice was paid
    following = open_invoice(lines=[{"description": "Support", "unit_amount": 25000}])
    assert following["amount_paid"] == 10000
    assert following["amount_remaining"] == 15000
    assert CustomerBalance.objects.get().amount == 0


def test_voiding_a_part_paid_invoice_gives_the_money_to_the_customer_balance(
    api, invoice, pay, checkout, customer
):
    checkout(pay(invoice, "100.00"), **card_data())
    api.post(f"/api/v1/invoices/{invoice['id']}/void")
    assert CustomerBalance.objects.get().amount == 10000
    assert account_balance(owner=customer["id"], kind="customer_receivable", currency="EUR") == 0
    assert all_violations() == []


def test_a_declined_card_records_invoice_payment_failed(invoice, pay, checkout):
    order = pay(invoice)
    checkout(order, **card_data("4000 0000 0000 9995"))  # insufficient funds
    failed = Event.objects.get(type="invoice.payment_failed", object_id=invoice["id"])
    assert failed.data["last_payment_error"]["code"] == "insufficient_funds"
    assert _invoice(invoice).status == "open"


def test_a_voided_invoice_cannot_be_paid(api, client, invoice):
    api.post(f"/api/v1/invoices/{invoice['id']}/void")
    html = client.post(_path(invoice["hosted_invoice_url"]), {"amount": ""}).content.decode()
    assert "voided" in html
    assert not InvoiceOrder.objects.exists()
