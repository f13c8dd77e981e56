from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import RedirectView

from payments.api.views import api_not_found

from . import health, metrics, views

urlpatterns = [
    path("", views.landing, name="landing"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", metrics.metrics, name="metrics"),
    # The audit log's pages moved with its app; old bookmarks still arrive.
    re_path(
        r"^admin/merchant_portal/(?P<rest>.*)$",
        RedirectView.as_view(url="/admin/backoffice/%(rest)s", query_string=True),
    ),
    # Likewise the webhook pages, which moved from payments to the webhooks app.
    re_path(
        r"^admin/payments/(?P<rest>webhook(endpoint|delivery)/.*)$",
        RedirectView.as_view(url="/admin/webhooks/%(rest)s", query_string=True),
    ),
    path("admin/", admin.site.urls),
    path("api/v1/", include("payments.api.urls")),
    path("api/v1/", include("webhooks.api.urls")),
    path("api/v1/", include("settlement.api.urls")),
    path("api/v1/", include("invoicing.api.urls")),  # before billing's: it adds to /invoices
    path("api/v1/", include("billing.api.urls")),
    path("api/v1/", include("payouts.api.urls")),
    path("api/v1/", include("billing.api.subscription_urls")),
    path("api/v1/", include("risk.api.urls")),
    path("api/v1/", include("developers.api.urls")),
    re_path(r"^api/", api_not_found),  # after every API route: the rest is a 404 problem
    path("", include("payments.checkout.urls")),  # checkout/<token>/...
    path("billing/", include("billing.urls")),
    path("", include("invoicing.urls")),  # invoice/<token>/: the pay link
    path("demo/shop/", include("demo.urls")),
    path("docs/", include("developers.urls")),
]
