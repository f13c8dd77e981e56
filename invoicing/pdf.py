"""The invoice and the credit note as PDFs: HTML templates rendered by WeasyPrint.

The renderer fetches nothing from the network or the disk: the QR codes are inlined as data
URIs and any other URL in the document is refused, so no text a merchant or customer typed can
make the server open an address. The styles are inline in the template for the same reason.
"""

from __future__ import annotations

import logging

from django.template.loader import render_to_string

from .documents import CreditNoteDocument, InvoiceDocument

logger = logging.getLogger(__name__)


def _render(template: str, document) -> bytes:
    # Imported here: loading WeasyPrint (and its stylesheets) costs every process a second.
    import weasyprint
    from weasyprint.urls import URLFetcher

    html = render_to_string(template, {"doc": document})
    fetcher = URLFetcher(allowed_protocols={"data"}, allow_redirects=False)
    pdf = weasyprint.HTML(string=html, url_fetcher=fetcher, base_url=None).write_pdf()
    logger.info("%s rendered as PDF (%s bytes)", document.public_id, len(pdf))
    return pdf


def invoice_pdf_render(*, document: InvoiceDocument) -> bytes:
    """Return the invoice as PDF bytes (the number, lines, tax summary, pay link and QR codes)."""
    return _render("invoicing/invoice_pdf.html", document)


def credit_note_pdf_render(*, document: CreditNoteDocument) -> bytes:
    """Return the credit note as PDF bytes (its number, the invoice it credits, lines, reason)."""
    return _render("invoicing/credit_note_pdf.html", document)


def invoice_pdf_filename(document: InvoiceDocument | CreditNoteDocument) -> str:
    """Return the download name: the invoice number, or its id while it has none."""
    name = document.number or document.public_id
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in name) + ".pdf"
