"""The back office's invoicing pages: scoped to the user's merchants, read-only invoices and
credit notes, invoicing details kept by the merchant's managers."""

import pytest
from django.core import mail
from django.urls import reverse

from billing.models import Invoice
from invoicing.models import InvoicingProfile
from tests.admin.conftest import totp_now
from tests.api.conftest import _client_for
from tests.invoicing.conftest import LINES

pytestmark = pytest.mark.django_db

PROFILE = {
    "legal_name": "Merchant GmbH",
    "address": "Hauptstr. 1\n10115 Berlin",
    "tax_id": "DE123456789",
    "email": "accounts@merchant.example",
    "iban": "DE89 3704 0044 0532 0130 00",
    "bic": "COBADEFFXXX",
    "reminder_days_before": "[3]",
    "reminder_days_after": "[1, 7]",
}


def _invoice_of(merchant, email):
    api = _client_for(merchant)
    customer = api.post("/api/v1/customers", {"email": email}, format="json").json()
    body = {"customer": customer["id"], "currency": "EUR", "lines": LINES}
    draft = api.post("/api/v1/invoices", body, format="json").json()
    return api.post(f"/api/v1/invoices/{draft['id']}/finalize").json()


def test_staff_see_their_invoices_and_never_another_merchants(
    login, manager, merchant, other_merchant
):
    mine = _invoice_of(merchant, "mine@example.com")
    theirs = _invoice_of(other_merchant, "theirs@example.com")
    client = login(manager)
    listing = client.get(reverse("admin:billing_invoice_changelist")).content.decode()
    assert mine["number"] in listing
    assert "theirs@example.com" not in listing
    theirs_pk = Invoice.objects.get(public_id=theirs["id"]).pk
    assert client.get(reverse("admin:billing_invoice_change", args=[theirs_pk])).status_code == 302
    page = client.get(
        reverse("admin:billing_invoice_change", args=[Invoice.objects.get(public_id=mine["id"]).pk])
    ).content.decode()
    assert "Consulting, November" in page
    assert "Open the pay link" in page


def test_the_send_action_e_mails_the_invoice(
    login, manager, merchant, django_capture_on_commit_callbacks
):
    mine = _invoice_of(merchant, "mine@example.com")
    client = login(manager)
    pk = Invoice.objects.get(public_id=mine["id"]).pk
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("admin:billing_invoice_changelist"),
            {"action": "send_to_customer", "_selected_action": [pk]},
        )
    assert [m.to for m in mail.outbox] == [["mine@example.com"]]


def test_a_manager_keeps_the_invoicing_details_and_a_bad_iban_is_refused(login, manager, merchant):
    client = login(manager)
    url = reverse("admin:invoicing_invoicingprofile_add")
    form = {**PROFILE, "merchant": merchant.pk}
    refused = client.post(url, {**form, "iban": "DE00 1234", "otp_token": totp_now(manager)})
    assert refused.status_code == 200
    assert "This is not a valid IBAN." in refused.content.decode()
    saved = client.post(url, {**form, "otp_token": totp_now(manager)})
    assert saved.status_code == 302, saved.context["adminform"].form.errors
    profile = InvoicingProfile.objects.get(merchant=merchant)
    assert profile.iban == "DE89370400440532013000"
    assert profile.reminder_days_after == [1, 7]


def test_a_viewer_cannot_change_the_details_nor_anyone_another_merchants(
    login, make_staff, merchant, other_merchant
):
    theirs = InvoicingProfile.objects.create(merchant=other_merchant, legal_name="Theirs")
    viewer = make_staff(merchant, "viewer")
    client = login(viewer)
    assert client.get(reverse("admin:invoicing_invoicingprofile_add")).status_code == 403
    page = client.get(reverse("admin:invoicing_invoicingprofile_change", args=[theirs.pk]))
    assert page.status_code == 302
