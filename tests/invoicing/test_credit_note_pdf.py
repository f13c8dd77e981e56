"""A credit note as PDF: its own number, the invoice it credits, its lines or amount, the reason;
only for the merchant and mode that issued it."""

import io

import pytest
from django.utils import timezone
from pypdf import PdfReader

from invoicing.models import InvoicingProfile
from merchant_portal.invariants import all_violations

pytestmark = pytest.mark.django_db

YEAR = timezone.now().year


@pytest.fixture
def credit(api):
    def post(invoice, **body):
        body.setdefault("reason", "order_change")
        response = api.post(f"/api/v1/invoices/{invoice['id']}/credit-notes", body, format="json")
        assert response.status_code == 201, response.content
        return response.json()

    return post


def _text(response) -> str:
    reader = PdfReader(io.BytesIO(response.content))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_a_credit_note_pdf_shows_its_number_the_invoice_lines_and_reason(
    api, merchant, open_invoice, credit
):
    InvoicingProfile.objects.create(
        merchant=merchant, legal_name="Seller SARL", address="1 rue de la Paix\n75002 Paris"
    )
    invoice = open_invoice()
    note = credit(
        invoice,
        lines=[{"description": "One day less", "unit_amount": 15000, "tax_rate_bps": 2000}],
        memo="As agreed on the phone",
    )
    response = api.get(f"/api/v1/invoices/{invoice['id']}/credit-notes/{note['id']}/pdf")
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/pdf"
    assert f'filename="{note["number"]}.pdf"' in response["Content-Disposition"]
    assert response.content.startswith(b"%PDF-")
    text = _text(response)
    assert note["number"] == f"CN-{YEAR}-000001"
    assert note["number"] in text
    assert invoice["number"] in text  # the invoice it credits
    assert "Seller SARL" in text and "75002 Paris" in text
    assert "One day less" in text
    assert "€180.00" in text  # 150.00 + 20% tax
    assert "20%" in text  # the tax summary
    assert "Order change" in text
    assert "As agreed on the phone" in text
    assert all_violations() == []


def test_a_credit_note_by_amount_shows_one_line_crediting_the_invoice(api, open_invoice, credit):
    invoice = open_invoice()
    note = credit(invoice, amount=8250, reason="duplicate")
    text = _text(api.get(f"/api/v1/invoices/{invoice['id']}/credit-notes/{note['id']}/pdf"))
    assert f"Credit on invoice {invoice['number']}" in text
    assert "€82.50" in text and "Duplicate" in text


def test_another_merchant_or_invoice_gets_no_credit_note_pdf(api, other_api, open_invoice, credit):
    invoice, other_invoice = open_invoice(), open_invoice()
    note = credit(invoice, amount=100)
    path = f"/api/v1/invoices/{invoice['id']}/credit-notes/{note['id']}/pdf"
    assert other_api.get(path).status_code == 404
    # The credit note through an invoice it does not credit is not found either.
    wrong = f"/api/v1/invoices/{other_invoice['id']}/credit-notes/{note['id']}/pdf"
    assert api.get(wrong).status_code == 404
    missing = f"/api/v1/invoices/{invoice['id']}/credit-notes/cn_nope/pdf"
    assert api.get(missing).status_code == 404
