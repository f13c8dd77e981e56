"""URLs of the invoicing API, mounted at ``/api/v1/`` before billing's (same invoice paths)."""

from django.urls import path

from . import views

app_name = "invoicing_api"

urlpatterns = [
    path("invoices", views.InvoiceListCreateView.as_view(), name="invoices"),
    path("invoices/<str:invoice_id>", views.InvoiceDetailView.as_view(), name="invoice"),
    path(
        "invoices/<str:invoice_id>/finalize",
        views.InvoiceFinalizeView.as_view(),
        name="invoice-finalize",
    ),
    path("invoices/<str:invoice_id>/void", views.InvoiceVoidView.as_view(), name="invoice-void"),
    path(
        "invoices/<str:invoice_id>/mark-uncollectible",
        views.InvoiceUncollectibleView.as_view(),
        name="invoice-mark-uncollectible",
    ),
    path("invoices/<str:invoice_id>/send", views.InvoiceSendView.as_view(), name="invoice-send"),
    path("invoices/<str:invoice_id>/pdf", views.InvoicePdfView.as_view(), name="invoice-pdf"),
    path(
        "invoices/<str:invoice_id>/credit-notes",
        views.CreditNotesView.as_view(),
        name="invoice-credit-notes",
    ),
    path(
        "invoices/<str:invoice_id>/credit-notes/<str:credit_note_id>/pdf",
        views.CreditNotePdfView.as_view(),
        name="invoice-credit-note-pdf",
    ),
]
