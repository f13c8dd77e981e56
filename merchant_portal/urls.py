from django.conf import settings
from django.contrib import admin
from django.http import JsonResponse
from django.urls import include, path, re_path

from payments.api.views import api_not_found

from . import views


def healthz(request):
    return JsonResponse({"status": "ok"})


urlpatterns = [
    path("", views.landing, name="landing"),
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("payments.api.urls")),
    path("api/v1/", include("settlement.api.urls")),
    re_path(r"^api/", api_not_found),  # after every API route: the rest is a 404 problem
    path("", include("payments.checkout.urls")),  # checkout/<token>/... and demo/shop/
]

if settings.BENCH_BASELINES:  # `make bench` only
    urlpatterns.append(path("bench/", include("bench.baseline.urls")))
