"""URLs of the hosted checkout (``checkout/<token>/...``)."""

from django.urls import include, path

from . import views

checkout_patterns = (
    [
        path("<str:token>/", views.checkout_pay, name="pay"),
        path("<str:token>/sandbox-inbox", views.sandbox_inbox, name="sandbox_inbox"),
        path("<str:token>/payments/<str:payment_id>/", views.payment_page, name="payment"),
        path("<str:token>/payments/<str:payment_id>/status", views.payment_status, name="status"),
        path("<str:token>/payments/<str:payment_id>/verify", views.payment_verify, name="verify"),
        path("<str:token>/payments/<str:payment_id>/resend", views.payment_resend, name="resend"),
        path("<str:token>/payments/<str:payment_id>/cancel", views.payment_abandon, name="cancel"),
        path(
            "<str:token>/payments/<str:payment_id>/simulate-transfer",
            views.transfer_simulate,
            name="simulate_transfer",
        ),
    ],
    "checkout",
)

urlpatterns = [
    path("checkout/", include(checkout_patterns)),
]
