"""URLs of the customers API, mounted at ``/api/v1/`` beside the payments API."""

from django.urls import path

from . import views

app_name = "billing_api"

urlpatterns = [
    path("customers", views.CustomerListCreateView.as_view(), name="customers"),
    path("customers/<str:customer_id>", views.CustomerDetailView.as_view(), name="customer"),
    path(
        "customers/<str:customer_id>/payment-methods",
        views.CustomerPaymentMethodsView.as_view(),
        name="customer-payment-methods",
    ),
    path(
        "customers/<str:customer_id>/payment-methods/<str:payment_method_id>",
        views.CustomerPaymentMethodDetailView.as_view(),
        name="customer-payment-method",
    ),
    path(
        "customers/<str:customer_id>/payment-methods/<str:payment_method_id>/otp",
        views.CustomerPaymentMethodOtpView.as_view(),
        name="customer-payment-method-otp",
    ),
    path(
        "customers/<str:customer_id>/payment-methods/<str:payment_method_id>/otp/resend",
        views.CustomerPaymentMethodOtpResendView.as_view(),
        name="customer-payment-method-otp-resend",
    ),
    path(
        "customers/<str:customer_id>/payment-methods/<str:payment_method_id>/otp-messages",
        views.CustomerPaymentMethodOtpMessagesView.as_view(),
        name="customer-payment-method-otp-messages",
    ),
    path("prices", views.PriceListCreateView.as_view(), name="prices"),
    path("prices/<str:price_id>", views.PriceDetailView.as_view(), name="price"),
    path("invoices", views.InvoiceListView.as_view(), name="invoices"),
    path("invoices/<str:invoice_id>", views.InvoiceDetailView.as_view(), name="invoice"),
]
