"""The hosted invoice page (the pay link): the invoice, its PDF, and paying what is due.

Paying hands the payer to the hosted checkout with an order for the amount chosen (all that is
due by default, or a part); the checkout returns to this page. Every answer is ``no-store``: the
page shows what is due now.
"""

from __future__ import annotations

import logging

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from billing.models import Invoice
from payments.errors import DomainError, ValidationFailed
from payments.money import to_major, to_minor
from payments.representations import checkout_url

from . import selectors, services
from .documents import invoice_document
from .pdf import invoice_pdf_filename, invoice_pdf_render

logger = logging.getLogger(__name__)


def _invoice(token: str) -> tuple[Invoice, str]:
    """Return the invoice of the pay link and the link; 404 for none (or a draft's)."""
    hosted = selectors.pay_link_get(token)
    if hosted is None:
        raise Http404("No invoice has this link.")
    return hosted.invoice, services.hosted_invoice_url(hosted)


def _amount(text: str, currency: str) -> int | None:
    """Return the amount typed (major units) in minor units; None for blank; raise ValueError."""
    if not text.strip():
        return None
    amount = to_minor(text.replace(",", "").strip(), currency)
    if amount <= 0:
        raise ValueError("not positive")
    return amount


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def invoice_page(request: HttpRequest, token: str) -> HttpResponse:
    """Show the invoice; on POST send the payer to the checkout for the amount chosen."""
    invoice, pay_url = _invoice(token)
    error = ""
    typed = ""
    if request.method == "POST" and services.invoice_payable(invoice):
        typed = request.POST.get("amount", "")[:40]
        try:
            order = services.invoice_pay_start(
                invoice=invoice, amount=_amount(typed, invoice.currency)
            )
        except ValueError:
            error = "Enter an amount such as 120.50."
        except ValidationFailed as err:
            error = err.errors[0].message if err.errors else err.message
        except DomainError as err:
            error = err.message
        else:
            return redirect(checkout_url(order))
        invoice.refresh_from_db()
    document = invoice_document(invoice=invoice, pay_url=pay_url)
    context = {
        "doc": document,
        "merchant": invoice.merchant,
        "sandbox": not invoice.livemode,
        "error": error,
        "typed": typed,
        "remaining_major": to_major(invoice.amount_remaining, invoice.currency),
        "waiting": [
            (link, checkout_url(link.order)) for link in selectors.invoice_orders_waiting(invoice)
        ],
    }
    return render(request, "invoicing/hosted.html", context, status=400 if error else 200)


@never_cache
@require_GET
def invoice_page_pdf(request: HttpRequest, token: str) -> HttpResponse:
    """The invoice as PDF, from its pay link."""
    invoice, pay_url = _invoice(token)
    document = invoice_document(invoice=invoice, pay_url=pay_url)
    response = HttpResponse(invoice_pdf_render(document=document), "application/pdf")
    response["Content-Disposition"] = f'inline; filename="{invoice_pdf_filename(document)}"'
    return response
