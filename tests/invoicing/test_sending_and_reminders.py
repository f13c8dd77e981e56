"""Sending an invoice by e-mail, reminders before and after the due date on the merchant's
schedule (each once), ``invoice.overdue``, and the EPC QR code of EUR invoices."""

import io
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from pypdf import PdfReader

from billing.models import Invoice
from invoicing.documents import invoice_document
from invoicing.models import InvoiceReminder, InvoicingProfile
from invoicing.services import invoice_reminders_sweep
from payments.models import Event

pytestmark = pytest.mark.django_db


@pytest.fixture
def send(api, django_capture_on_commit_callbacks):
    def post(invoice, **body):
        with django_capture_on_commit_callbacks(execute=True):
            return api.post(f"/api/v1/invoices/{invoice['id']}/send", body, format="json")

    return post


def test_send_e_mails_the_pay_link_and_the_pdf(open_invoice, send):
    invoice = open_invoice()
    response = send(invoice)
    assert response.status_code == 200, response.content
    [message] = mail.outbox
    assert message.to == ["ap@acme.example"]
    assert invoice["number"] in message.subject
    assert invoice["hosted_invoice_url"] in message.body
    assert "€582.50" in message.body
    [(name, content, mimetype)] = message.attachments
    assert (name, mimetype) == (f"{invoice['number']}.pdf", "application/pdf")
    assert invoice["number"] in PdfReader(io.BytesIO(content)).pages[0].extract_text()
    assert Event.objects.filter(type="invoice.sent", object_id=invoice["id"]).exists()


def test_send_to_another_address_and_a_draft_is_not_sent(create_invoice, open_invoice, send):
    assert send(open_invoice(), email="billing@acme.example").status_code == 200
    assert mail.outbox[0].to == ["billing@acme.example"]
    assert send(create_invoice()).status_code == 409
    assert send(open_invoice(), email="not-an-address").status_code == 400
    assert len(mail.outbox) == 1


def test_the_reply_to_is_the_merchants_invoicing_address(merchant, open_invoice, send):
    InvoicingProfile.objects.create(merchant=merchant, email="accounts@merchant.example")
    send(open_invoice())
    assert mail.outbox[0].reply_to == ["accounts@merchant.example"]


def _due_in(invoice, days: int) -> Invoice:
    row = Invoice.objects.get(public_id=invoice["id"])
    Invoice.objects.filter(pk=row.pk).update(due_date=timezone.localdate() + timedelta(days=days))
    return row


def _sweep(django_capture_on_commit_callbacks, *, days_later: int = 0) -> int:
    with django_capture_on_commit_callbacks(execute=True):
        return invoice_reminders_sweep(now=timezone.now() + timedelta(days=days_later))


def test_a_reminder_before_the_due_date_is_sent_once(
    open_invoice, django_capture_on_commit_callbacks
):
    _due_in(open_invoice(), 3)  # the default schedule: 3 days before
    assert _sweep(django_capture_on_commit_callbacks) == 1
    assert _sweep(django_capture_on_commit_callbacks) == 0
    [message] = mail.outbox
    assert message.subject.startswith("Reminder:")


def test_past_the_due_date_the_invoice_is_overdue_once_and_reminded(
    open_invoice, django_capture_on_commit_callbacks
):
    invoice = open_invoice()
    _due_in(invoice, 0)
    assert _sweep(django_capture_on_commit_callbacks, days_later=1) == 1
    assert _sweep(django_capture_on_commit_callbacks, days_later=1) == 0
    assert Event.objects.filter(type="invoice.overdue", object_id=invoice["id"]).count() == 1
    assert mail.outbox[-1].subject.startswith("Overdue:")
    assert _sweep(django_capture_on_commit_callbacks, days_later=7) == 1  # the next one
    assert Event.objects.filter(type="invoice.overdue", object_id=invoice["id"]).count() == 1


def test_after_an_outage_only_the_latest_reminder_is_sent(
    open_invoice, django_capture_on_commit_callbacks
):
    _due_in(open_invoice(), 0)
    assert _sweep(django_capture_on_commit_callbacks, days_later=15) == 1
    assert len(mail.outbox) == 1
    sent = InvoiceReminder.objects.exclude(sent_at=None).values_list("days", flat=True)
    assert list(sent) == [14]


def test_the_merchants_schedule_is_followed_and_paid_invoices_are_left_alone(
    merchant, api, open_invoice, django_capture_on_commit_callbacks
):
    InvoicingProfile.objects.create(
        merchant=merchant, reminder_days_before=[2], reminder_days_after=[]
    )
    _due_in(open_invoice(), 3)
    assert _sweep(django_capture_on_commit_callbacks) == 0  # 3 days before: not yet
    _due_in(open_invoice(), 2)
    voided = open_invoice()
    _due_in(voided, 2)
    api.post(f"/api/v1/invoices/{voided['id']}/void")
    assert _sweep(django_capture_on_commit_callbacks) == 1
    assert mail.outbox[0].subject.startswith("Reminder:")


def test_an_eur_invoice_carries_the_epc_qr_code_and_the_iban(merchant, api, open_invoice):
    InvoicingProfile.objects.create(
        merchant=merchant, legal_name="Merchant GmbH", iban="DE89370400440532013000"
    )
    invoice = open_invoice()
    row = Invoice.objects.get(public_id=invoice["id"])
    document = invoice_document(invoice=row, pay_url=invoice["hosted_invoice_url"])
    assert document.epc_qr.startswith("data:image/svg+xml")
    assert document.pay_qr.startswith("data:image/svg+xml")
    pdf = api.get(f"/api/v1/invoices/{invoice['id']}/pdf").content
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "DE89370400440532013000" in text
    assert "Merchant GmbH" in text


def test_a_usd_invoice_has_no_epc_qr_code(merchant, open_invoice):
    InvoicingProfile.objects.create(merchant=merchant, iban="DE89370400440532013000")
    invoice = open_invoice(currency="USD")
    row = Invoice.objects.get(public_id=invoice["id"])
    assert invoice_document(invoice=row, pay_url="https://x.example/").epc_qr == ""
