"""URLs of the developers' API, mounted at ``/api/v1/``."""

from django.urls import path

from . import signing_keys, views

app_name = "developers_api"

urlpatterns = [
    path("request-logs", views.RequestLogListView.as_view(), name="request-logs"),
    path("signing-keys", signing_keys.SigningKeyListCreateView.as_view(), name="signing-keys"),
    path(
        "signing-keys/<str:key_id>",
        signing_keys.SigningKeyDetailView.as_view(),
        name="signing-key",
    ),
]
