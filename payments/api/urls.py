"""URLs of the merchant REST API, mounted at ``/api/v1/``."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView

from . import fx, views
from .docs import ApiDocsView

app_name = "api"

urlpatterns = [
    path("orders", views.OrderListCreateView.as_view(), name="orders"),
    path("orders/<str:order_id>", views.OrderDetailView.as_view(), name="order"),
    path("orders/<str:order_id>/cancel", views.OrderCancelView.as_view(), name="order-cancel"),
    path(
        "orders/<str:order_id>/payments",
        views.OrderPaymentCreateView.as_view(),
        name="order-payments",
    ),
    path("payments", views.PaymentListView.as_view(), name="payments"),
    path("payments/<str:payment_id>", views.PaymentDetailView.as_view(), name="payment"),
    path("payments/<str:payment_id>/otp", views.PaymentOtpVerifyView.as_view(), name="payment-otp"),
    path(
        "payments/<str:payment_id>/otp/resend",
        views.PaymentOtpResendView.as_view(),
        name="payment-otp-resend",
    ),
    path(
        "payments/<str:payment_id>/capture",
        views.PaymentCaptureView.as_view(),
        name="payment-capture",
    ),
    path(
        "payments/<str:payment_id>/cancel", views.PaymentCancelView.as_view(), name="payment-cancel"
    ),
    path(
        "payments/<str:payment_id>/refunds",
        views.PaymentRefundCreateView.as_view(),
        name="payment-refunds",
    ),
    path("refunds", views.RefundListView.as_view(), name="refunds"),
    path("refunds/<str:refund_id>", views.RefundDetailView.as_view(), name="refund"),
    path("events", views.EventListView.as_view(), name="events"),
    path("events/<str:event_id>", views.EventDetailView.as_view(), name="event"),
    path(
        "sandbox/otp-messages",
        views.SandboxOtpMessagesView.as_view(),
        name="sandbox-otp-messages",
    ),
    path(
        "sandbox/bank-transfers",
        views.SandboxBankTransferView.as_view(),
        name="sandbox-bank-transfers",
    ),
    path("sandbox/reset", views.SandboxResetView.as_view(), name="sandbox-reset"),
    path("fx/rates", fx.FxRateView.as_view(), name="fx-rates"),
    path("fx/quotes", fx.FxQuoteCreateView.as_view(), name="fx-quotes"),
    path("schema", SpectacularAPIView.as_view(), name="schema"),
    path("docs", ApiDocsView.as_view(url_name="api:schema"), name="docs"),
]
