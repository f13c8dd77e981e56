"""Invoices through the merchant API: drafts, terms, finalize, void, uncollectible, the PDF."""

import io
from datetime import timedelta

import pytest
from django.utils import timezone
from pypdf import PdfReader

from ledger.selectors import account_balance
from payments.models import Event
from tests.invoicing.conftest import LINES

pytestmark = pytest.mark.django_db


def test_a_draft_has_totals_with_tax_per_line_and_no_number(create_invoice):
    draft = create_invoice()
    assert draft["status"] == "draft"
    assert draft["number"] is None
    assert draft["hosted_invoice_url"] is None
    # 3 x 150.00 at 20% = 450.00 + 90.00 tax; 42.50 untaxed.
    assert (draft["subtotal"], draft["tax"], draft["total"]) == (49250, 9000, 58250)
    assert draft["amount_remaining"] == 58250
    assert [line["tax_amount"] for line in draft["lines"]] == [9000, 0]


def test_tax_is_rounded_half_even_per_line(create_invoice):
    lines = [
        {"description": "a", "unit_amount": 125, "tax_rate_bps": 1000},  # 12.5 -> 12
        {"description": "b", "unit_amount": 135, "tax_rate_bps": 1000},  # 13.5 -> 14
    ]
    draft = create_invoice(lines=lines)
    assert [line["tax_amount"] for line in draft["lines"]] == [12, 14]
    assert draft["total"] == 125 + 135 + 26


def test_finalize_gives_number_due_date_from_net_terms_and_pay_link(api, create_invoice):
    draft = create_invoice(due_days=14)
    response = api.post(f"/api/v1/invoices/{draft['id']}/finalize")
    assert response.status_code == 200, response.content
    invoice = response.json()
    year = timezone.now().year
    assert invoice["status"] == "open"
    assert invoice["number"] == f"INV-{year}-000001"
    assert invoice["due_date"] == (timezone.localdate() + timedelta(days=14)).isoformat()
    assert invoice["hosted_invoice_url"].startswith("http")
    assert "/invoice/" in invoice["hosted_invoice_url"]
    assert Event.objects.filter(type="invoice.finalized", object_id=invoice["id"]).exists()


def test_finalize_twice_is_a_409_and_keeps_the_number(api, create_invoice):
    draft = create_invoice()
    first = api.post(f"/api/v1/invoices/{draft['id']}/finalize").json()
    again = api.post(f"/api/v1/invoices/{draft['id']}/finalize")
    assert again.status_code == 409
    assert api.get(f"/api/v1/invoices/{draft['id']}").json()["number"] == first["number"]


def test_a_draft_can_be_changed_and_an_open_invoice_cannot(api, create_invoice):
    draft = create_invoice()
    response = api.patch(
        f"/api/v1/invoices/{draft['id']}",
        {"lines": [{"description": "Flat fee", "unit_amount": 10000}], "memo": "Thanks"},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["total"] == 10000
    assert response.json()["memo"] == "Thanks"
    api.post(f"/api/v1/invoices/{draft['id']}/finalize")
    refused = api.patch(f"/api/v1/invoices/{draft['id']}", {"memo": "x"}, format="json")
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["code"] == "not_draft"


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"customer": "cus_nope"}, "customer", "not_found"),
        ({"currency": "XXX"}, "currency", "unsupported_currency"),
        ({"lines": []}, "lines", None),
        ({"lines": [{"description": "x", "unit_amount": "12"}]}, "lines.0.unit_amount", "invalid"),
        ({"due_days": 10, "due_date": "2099-01-01"}, "due_date", "conflict"),
        ({"due_date": "2001-01-01"}, "due_date", "in_the_past"),
        ({"colour": "red"}, "colour", "unknown_field"),
    ],
)
def test_bad_input_is_answered_field_by_field(api, customer, change, field, code):
    body = {"customer": customer["id"], "currency": "EUR", "lines": LINES, **change}
    response = api.post("/api/v1/invoices", body, format="json")
    assert response.status_code == 400, response.content
    errors = {e["field"]: e["code"] for e in response.json()["errors"]}
    assert any(f.startswith(field) for f in errors), errors
    if code:
        assert code in errors.values()


def test_another_merchants_customer_and_invoice_are_not_found(api, other_api, create_invoice):
    other = other_api.post("/api/v1/customers", {"name": "Theirs"}, format="json").json()
    response = api.post(
        "/api/v1/invoices",
        {"customer": other["id"], "currency": "EUR", "lines": LINES},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "customer"
    mine = create_invoice()
    assert other_api.get(f"/api/v1/invoices/{mine['id']}").status_code == 404
    assert other_api.post(f"/api/v1/invoices/{mine['id']}/finalize").status_code == 404


def test_a_live_key_does_not_see_a_test_customer(live_api, customer):
    response = live_api.post(
        "/api/v1/invoices",
        {"customer": customer["id"], "currency": "EUR", "lines": LINES},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "not_found"


def test_create_honours_the_idempotency_key(api, customer):
    body = {"customer": customer["id"], "currency": "EUR", "lines": LINES}
    first = api.post("/api/v1/invoices", body, format="json", HTTP_IDEMPOTENCY_KEY="inv-1")
    again = api.post("/api/v1/invoices", body, format="json", HTTP_IDEMPOTENCY_KEY="inv-1")
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert again["Idempotent-Replayed"] == "true"
    assert api.get("/api/v1/invoices").json()["data"].__len__() == 1


def test_void_and_uncollectible_follow_the_machine(api, open_invoice):
    a, b = open_invoice(), open_invoice()
    assert api.post(f"/api/v1/invoices/{a['id']}/void").json()["status"] == "void"
    assert api.post(f"/api/v1/invoices/{a['id']}/void").status_code == 409
    marked = api.post(f"/api/v1/invoices/{b['id']}/mark-uncollectible").json()
    assert marked["status"] == "uncollectible"
    assert api.post(f"/api/v1/invoices/{b['id']}/void").json()["status"] == "void"


def test_the_receivable_follows_finalize_and_void(api, open_invoice, customer):
    invoice = open_invoice()
    assert account_balance(owner=customer["id"], kind="customer_receivable", currency="EUR") == (
        58250
    )
    api.post(f"/api/v1/invoices/{invoice['id']}/void")
    assert account_balance(owner=customer["id"], kind="customer_receivable", currency="EUR") == 0


def test_the_pdf_is_a_pdf_with_the_number_lines_and_totals(api, open_invoice):
    invoice = open_invoice()
    response = api.get(f"/api/v1/invoices/{invoice['id']}/pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert invoice["number"] in response["Content-Disposition"]
    reader = PdfReader(io.BytesIO(response.content))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert invoice["number"] in text
    assert "Consulting, November" in text
    assert "€582.50" in text
    assert "20%" in text  # the tax summary


def test_a_draft_pdf_says_draft(api, create_invoice):
    draft = create_invoice()
    response = api.get(f"/api/v1/invoices/{draft['id']}/pdf", HTTP_ACCEPT="application/pdf")
    assert response.status_code == 200
    text = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    assert "Draft invoice" in text


def test_an_invoice_billing_finalizes_by_itself_gets_a_pay_link_too(api, customer):
    from billing.models import Customer
    from billing.services import LineInput, invoice_create, invoice_finalize

    invoice = invoice_create(
        customer=Customer.objects.get(public_id=customer["id"]),
        currency="EUR",
        lines=[LineInput(description="Plan, December", unit_amount=2900)],
    )
    invoice_finalize(invoice=invoice)
    shown = api.get(f"/api/v1/invoices/{invoice.public_id}").json()
    assert shown["hosted_invoice_url"].startswith("http")
    listed = api.get("/api/v1/invoices").json()["data"]
    assert listed[0]["hosted_invoice_url"] == shown["hosted_invoice_url"]
