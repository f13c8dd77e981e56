"""URLs of the webhook endpoints API, mounted at ``/api/v1/`` beside the payments API."""

from django.urls import path

from . import views

app_name = "webhooks_api"

urlpatterns = [
    path(
        "events/<str:event_id>/redeliver",
        views.EventRedeliverView.as_view(),
        name="event-redeliver",
    ),
    path(
        "webhook-endpoints",
        views.WebhookEndpointListCreateView.as_view(),
        name="webhook-endpoints",
    ),
    path(
        "webhook-endpoints/<str:endpoint_id>",
        views.WebhookEndpointDetailView.as_view(),
        name="webhook-endpoint",
    ),
    path(
        "webhook-endpoints/<str:endpoint_id>/rotate-secret",
        views.WebhookEndpointRotateSecretView.as_view(),
        name="webhook-endpoint-rotate-secret",
    ),
    path(
        "webhook-endpoints/<str:endpoint_id>/redeliver-failed",
        views.WebhookEndpointRedeliverFailedView.as_view(),
        name="webhook-endpoint-redeliver-failed",
    ),
    path(
        "webhook-endpoints/<str:endpoint_id>/deliveries",
        views.WebhookEndpointDeliveriesView.as_view(),
        name="webhook-endpoint-deliveries",
    ),
]
