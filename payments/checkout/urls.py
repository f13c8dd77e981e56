"""URLs of the hosted checkout (``checkout/<token>/...``).

Tokens and payment ids are URL-safe (``slug``): any other character, a NUL byte among them (which
PostgreSQL refuses in a lookup), is a 404 before a query is made.
"""

from django.urls import include, path

from . import dcc, passkeys, views

checkout_patterns = (
    [
        path("<slug:token>/", views.checkout_pay, name="pay"),
        path("<slug:token>/sandbox-inbox", views.sandbox_inbox, name="sandbox_inbox"),
        path("<slug:token>/dcc-offer", dcc.dcc_offer_view, name="dcc_offer"),
        path("<slug:token>/payments/<slug:payment_id>/", views.payment_page, name="payment"),
        path("<slug:token>/payments/<slug:payment_id>/status", views.payment_status, name="status"),
        path("<slug:token>/payments/<slug:payment_id>/verify", views.payment_verify, name="verify"),
        path("<slug:token>/payments/<slug:payment_id>/resend", views.payment_resend, name="resend"),
        path(
            "<slug:token>/payments/<slug:payment_id>/cancel", views.payment_abandon, name="cancel"
        ),
        path(
            "<slug:token>/payments/<slug:payment_id>/passkey/options",
            passkeys.verify_options,
            name="passkey_options",
        ),
        path(
            "<slug:token>/payments/<slug:payment_id>/passkey/verify",
            passkeys.verify,
            name="passkey_verify",
        ),
        path(
            "<slug:token>/payments/<slug:payment_id>/passkey/register-options",
            passkeys.register_options,
            name="passkey_register_options",
        ),
        path(
            "<slug:token>/payments/<slug:payment_id>/passkey/register",
            passkeys.register,
            name="passkey_register",
        ),
        path(
            "<slug:token>/payments/<slug:payment_id>/simulate-transfer",
            views.transfer_simulate,
            name="simulate_transfer",
        ),
    ],
    "checkout",
)

urlpatterns = [
    path("checkout/", include(checkout_patterns)),
]
