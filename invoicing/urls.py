"""The pay link's pages: ``invoice/<token>/`` and its PDF (tokens are URL-safe: ``slug``)."""

from django.urls import include, path

from . import views

invoice_patterns = (
    [
        path("<slug:token>/", views.invoice_page, name="hosted"),
        path("<slug:token>/pdf", views.invoice_page_pdf, name="hosted_pdf"),
    ],
    "invoicing",
)

urlpatterns = [path("invoice/", include(invoice_patterns))]
