"""Sending an invoice (and its reminders) to the customer: an e-mail with the pay link and the
PDF, through Django's e-mail framework, sent by a task once the transaction commits."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from backoffice.on_commit import send_on_commit
from billing.models import Invoice
from billing.services.invoices import invoice_lock
from payments.errors import InvalidTransition, ValidationFailed
from payments.services import event_record
from payments.validation import FieldError

from ..documents import invoice_document, seller_for
from ..pdf import invoice_pdf_filename, invoice_pdf_render
from .drafts import hosted_for, hosted_invoice_url

logger = logging.getLogger(__name__)

SENDABLE = (Invoice.Status.OPEN, Invoice.Status.UNCOLLECTIBLE, Invoice.Status.PAID)


def invoice_send(*, invoice: Invoice, email: str | None = None) -> Invoice:
    """Send the finalized invoice to ``email`` (the customer's by default) and record
    ``invoice.sent``; the e-mail leaves once the transaction commits."""
    from ..tasks import invoice_email_task

    with transaction.atomic():
        invoice = invoice_lock(invoice)
        if invoice.status not in SENDABLE:
            raise InvalidTransition(
                f"A {invoice.status} invoice cannot be sent; finalize it first."
            )
        to = email or invoice.customer.email
        if not to:
            raise ValidationFailed(
                [FieldError("email", "required", "The customer has no e-mail: give one.")]
            )
        hosted = hosted_for(invoice)
        hosted.sent_at, hosted.sent_to = timezone.now(), to
        hosted.save(update_fields=["sent_at", "sent_to"])
        event_record(obj=invoice, type="invoice.sent")
        send_on_commit(invoice_email_task, invoice.pk, to, "invoice")
    return invoice


_SUBJECTS = {
    "invoice": "Invoice {number} from {seller}",
    "reminder": "Reminder: invoice {number} from {seller} is due {due}",
    "overdue": "Overdue: invoice {number} from {seller} was due {due}",
}


def invoice_email_deliver(*, invoice_pk: int, to: str, kind: str) -> None:
    """Render and send one e-mail about the invoice: the pay link, what is due, the PDF."""
    invoice = (
        Invoice.objects.select_related("merchant", "customer")
        .prefetch_related("lines")
        .get(pk=invoice_pk)
    )
    url = hosted_invoice_url(hosted_for(invoice))
    document = invoice_document(invoice=invoice, pay_url=url)
    subject = _SUBJECTS[kind].format(
        number=invoice.number, seller=document.seller.name, due=invoice.due_date
    )
    body = render_to_string("invoicing/invoice_email.txt", {"doc": document, "kind": kind})
    seller = seller_for(invoice.merchant)
    message = EmailMessage(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        reply_to=[seller.email] if seller.email else None,
    )
    message.attach(
        invoice_pdf_filename(document), invoice_pdf_render(document=document), "application/pdf"
    )
    message.send()
    logger.info("invoice %s e-mailed (%s)", invoice.public_id, kind)
