"""The project's URLs plus the baselines ``/bench/constant`` and ``/bench/minimal``."""

from django.urls import include, path

from merchant_portal.urls import urlpatterns as project_urlpatterns

urlpatterns = [*project_urlpatterns, path("bench/", include("bench.baseline.urls"))]
