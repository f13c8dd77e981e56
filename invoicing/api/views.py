"""Invoices in the merchant API: drafts, finalize, void, uncollectible, send, the PDF, and credit
notes. Reads are billing's views with the pay link added; every write honours Idempotency-Key.

An invoice or customer of another merchant or mode is a 404 (or a ``customer`` field error on
create), like an id that does not exist.
"""

from __future__ import annotations

import re
from contextlib import contextmanager

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import status
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from billing.api.views import InvoiceDetailView as BillingInvoiceDetailView
from billing.api.views import InvoiceListView
from billing.models import Invoice
from billing.selectors import invoice_get
from billing.services import LineInput
from payments.api.base import MerchantAPIView, request_scope, validated
from payments.api.serializers import NoInput, constant_field
from payments.errors import ValidationFailed
from payments.validation import FieldError

from .. import selectors, services
from ..documents import credit_note_document, invoice_document
from ..pdf import credit_note_pdf_render, invoice_pdf_filename, invoice_pdf_render
from ..services.credit_notes import CreditLineInput
from . import serializers as s

_INDEXED = re.compile(r"^(\w+)\[(\d+)\]")


@contextmanager
def _api_field_names():
    """Name the service's ``lines[0].unit_amount`` as the API names fields: ``lines.0.…``."""
    try:
        yield
    except ValidationFailed as err:
        errors = [
            FieldError(_INDEXED.sub(r"\1.\2", e.field), e.code, e.message) for e in err.errors
        ]
        raise ValidationFailed(errors, err.message) from None


def _invoice(request: Request, invoice_id: str) -> Invoice:
    return invoice_get(**request_scope(request), invoice_id=invoice_id)


def _lines(data: dict) -> list[LineInput] | None:
    lines = data.pop("lines", None)
    return None if lines is None else [LineInput(**line) for line in lines]


class InvoiceListCreateView(InvoiceListView):
    """Billing's list, plus ``POST`` for drafts, on the same path."""

    serializer_class = s.InvoiceOutput
    selector = staticmethod(selectors.invoice_list_with_links)

    @extend_schema(summary="List invoices", operation_id="invoices_list")
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Create a draft invoice",
        description=(
            "A draft for one of your customers (`cus_...`, same mode as the key) with up to 250 "
            "lines. Net terms: `due_days` (the due date is set at finalize; 30 if neither is "
            "given) or a `due_date`."
        ),
        operation_id="invoices_create",
        request=s.InvoiceCreateInput,
        responses={201: s.InvoiceOutput},
    )
    def post(self, request: Request) -> Response:
        data = dict(validated(s.InvoiceCreateInput, request.data))
        with _api_field_names():
            invoice = services.invoice_draft_create(
                **request_scope(request),
                customer_id=data.pop("customer"),
                currency=data.pop("currency").upper(),
                lines=_lines(data),
                **data,
            )
        return Response(selectors.invoice_data(invoice), status=status.HTTP_201_CREATED)


class InvoiceDetailView(BillingInvoiceDetailView):
    @extend_schema(summary="Retrieve an invoice", responses=s.InvoiceOutput)
    def get(self, request: Request, invoice_id: str) -> Response:
        return Response(selectors.invoice_data(_invoice(request, invoice_id)))

    @extend_schema(
        summary="Update a draft invoice",
        description="Only the fields given change; `lines` replaces every line. Drafts only.",
        request=s.InvoiceUpdateInput,
        responses=s.InvoiceOutput,
    )
    def patch(self, request: Request, invoice_id: str) -> Response:
        invoice = _invoice(request, invoice_id)
        data = dict(validated(s.InvoiceUpdateInput, request.data))
        with _api_field_names():
            invoice = services.invoice_draft_update(invoice=invoice, lines=_lines(data), **data)
        return Response(selectors.invoice_data(invoice))


class InvoiceFinalizeView(MerchantAPIView):
    @extend_schema(
        summary="Finalize a draft invoice",
        description=(
            "Gives the invoice its number (no gap, no duplicate), its due date and its pay link "
            "(`hosted_invoice_url`); records `invoice.finalized`. The customer's credit balance "
            "is used first."
        ),
        request=None,
        responses=s.InvoiceOutput,
    )
    def post(self, request: Request, invoice_id: str) -> Response:
        validated(NoInput, request.data)
        invoice = services.invoice_open(invoice=_invoice(request, invoice_id))
        return Response(selectors.invoice_data(invoice))


class InvoiceVoidView(MerchantAPIView):
    action = "void"

    @extend_schema(
        summary="Void an invoice",
        description="An open or uncollectible invoice: nothing is owed any more.",
        request=None,
        responses=s.InvoiceOutput,
    )
    def post(self, request: Request, invoice_id: str) -> Response:
        validated(NoInput, request.data)
        invoice = services.invoice_close(invoice=_invoice(request, invoice_id), action=self.action)
        return Response(selectors.invoice_data(invoice))


class InvoiceUncollectibleView(InvoiceVoidView):
    action = "mark_uncollectible"

    @extend_schema(
        summary="Mark an invoice uncollectible",
        description="An open invoice; it may still be paid later.",
        request=None,
        responses=s.InvoiceOutput,
    )
    def post(self, request: Request, invoice_id: str) -> Response:
        return super().post(request, invoice_id)


class InvoiceSendView(MerchantAPIView):
    @extend_schema(
        summary="Send an invoice by e-mail",
        description="The pay link and the PDF, to the customer's e-mail or the one given.",
        request=s.InvoiceSendInput,
        responses=s.InvoiceOutput,
    )
    def post(self, request: Request, invoice_id: str) -> Response:
        data = validated(s.InvoiceSendInput, request.data)
        invoice = services.invoice_send(
            invoice=_invoice(request, invoice_id), email=data.get("email")
        )
        return Response(selectors.invoice_data(invoice))


class PdfRenderer(BaseRenderer):
    media_type = "application/pdf"
    format = "pdf"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data if isinstance(data, bytes) else JSONRenderer().render(data)


class InvoicePdfView(MerchantAPIView):
    renderer_classes = [JSONRenderer, PdfRenderer]

    @extend_schema(
        summary="Download an invoice as PDF",
        responses={(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY)},
    )
    def get(self, request: Request, invoice_id: str) -> HttpResponse:
        invoice = _invoice(request, invoice_id)
        link = selectors.invoice_data(invoice)["hosted_invoice_url"] or ""
        document = invoice_document(invoice=invoice, pay_url=link)
        response = HttpResponse(invoice_pdf_render(document=document), "application/pdf")
        name = invoice_pdf_filename(document)
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response


class CreditNotesView(MerchantAPIView):
    @extend_schema(
        summary="List an invoice's credit notes",
        operation_id="invoice_credit_notes_list",
        responses=inline_serializer(
            "CreditNoteList",
            fields={"object": constant_field("list"), "data": s.CreditNoteOutput(many=True)},
        ),
    )
    def get(self, request: Request, invoice_id: str) -> Response:
        notes = selectors.credit_note_list(invoice=_invoice(request, invoice_id))
        return Response({"object": "list", "data": [n.api_data() for n in notes[:100]]})

    @extend_schema(
        summary="Issue a credit note",
        description=(
            "`amount` (tax included) or `lines` (neither: all that is still creditable), and a "
            "`reason`. What is still due is reduced "
            "first; the rest of what was paid is refunded (`credit_to: refund`) or credited to "
            "the customer's balance (`customer_balance`). Numbered in its own series (`CN-…`)."
        ),
        operation_id="invoice_credit_notes_create",
        request=s.CreditNoteCreateInput,
        responses={201: s.CreditNoteOutput},
    )
    def post(self, request: Request, invoice_id: str) -> Response:
        invoice = _invoice(request, invoice_id)
        data = dict(validated(s.CreditNoteCreateInput, request.data))
        lines = data.pop("lines", None)
        note = services.credit_note_create(
            invoice=invoice,
            lines=None if lines is None else [CreditLineInput(**line) for line in lines],
            **data,
        )
        return Response(note.api_data(), status=status.HTTP_201_CREATED)


class CreditNotePdfView(MerchantAPIView):
    renderer_classes = [JSONRenderer, PdfRenderer]

    @extend_schema(
        summary="Download a credit note as PDF",
        description="Its number, the invoice it credits, its lines or amount, and the reason.",
        responses={(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY)},
    )
    def get(self, request: Request, invoice_id: str, credit_note_id: str) -> HttpResponse:
        invoice = _invoice(request, invoice_id)
        note = selectors.credit_note_of_invoice(invoice=invoice, credit_note_id=credit_note_id)
        document = credit_note_document(note=note)
        response = HttpResponse(credit_note_pdf_render(document=document), "application/pdf")
        name = invoice_pdf_filename(document)
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
