from django.conf import settings
from django.contrib import admin
from django.http import JsonResponse
from django.urls import include, path

from . import views


def healthz(request):
    return JsonResponse({"status": "ok"})


urlpatterns = [
    path("", views.landing, name="landing"),
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("payments.api.urls")),
    path("api/v1/", include("settlement.api.urls")),
    path("", include("payments.checkout.urls")),  # checkout/<token>/... and demo/shop/
]

if settings.BENCH_BASELINES:  # `make bench` only
    urlpatterns.append(path("bench/", include("bench.baseline.urls")))
