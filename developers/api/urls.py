"""URLs of the developers' API, mounted at ``/api/v1/``."""

from django.urls import path

from . import views

app_name = "developers_api"

urlpatterns = [
    path("request-logs", views.RequestLogListView.as_view(), name="request-logs"),
]
