"""Webhook endpoints and redelivery in the merchant API.

Endpoints belong to the API key's merchant and mode; another merchant's endpoint is a 404.
The signing secret is in the answer that creates an endpoint or rotates its secret, and never
again.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from payments.api.base import MerchantAPIView, MerchantListView, request_scope, validated
from payments.api.serializers import NoInput

from .. import selectors, services
from ..models import WebhookDelivery, WebhookEndpoint
from ..representations import delivery_data, endpoint_data
from .serializers import (
    DeliveryFilter,
    DeliveryOutput,
    EndpointCreateInput,
    EndpointFilter,
    EndpointOutput,
    EndpointUpdateInput,
    EndpointWithSecretOutput,
    EventRedeliverInput,
    RedeliverFailedInput,
    RedeliveryOutput,
)

DELIVERY_SEMANTICS = (
    "Events are POSTed as JSON (the event object) with the Standard Webhooks headers "
    "`webhook-id` (the event id, the same on every retry and redelivery), `webhook-timestamp` "
    "and `webhook-signature` (`v1,<base64 HMAC-SHA256>` of `id.timestamp.body` keyed by the "
    "base64-decoded part of the `whsec_` secret; several space-separated during a secret "
    "rotation). To verify, recompute the signature over the raw body as received and compare "
    "it in constant time with each one in the header; then refuse a `webhook-timestamp` more "
    "than 5 minutes from your clock, so a captured request cannot be replayed later (every "
    "attempt is signed afresh with its own timestamp). Any Standard Webhooks library does both. "
    "After a secret rotation each delivery carries a signature by the new and by the previous "
    "secret until `secret_rotation_ends_at`: switch your verifier to the new secret by then. "
    "Delivery is at least once: deduplicate by `webhook-id`. Any 2xx within 10 s (the whole "
    "request) is success, so acknowledge first and process later; "
    "redirects are not followed; 410 Gone disables the endpoint; other answers are retried "
    "after about 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h (the Retry-After of a 429, 502, "
    "503 or 504 may lengthen a wait, never shorten it). An endpoint failing every delivery for 5 days is disabled "
    "(`disabled_reason` says why). A merchant has at most 16 endpoints per mode (409 "
    "`endpoint_limit_reached`); one endpoint may receive every event type."
)


def _deliveries_response(deliveries) -> Response:
    return Response(
        {"object": "list", "data": [delivery_data(d) for d in deliveries]},
        status=status.HTTP_202_ACCEPTED,
    )


class WebhookEndpointListCreateView(MerchantListView):
    serializer_class = EndpointOutput
    filterset_class = EndpointFilter
    selector = staticmethod(selectors.webhook_endpoint_list)

    @extend_schema(summary="List webhook endpoints", operation_id="webhook_endpoints_list")
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Register a webhook endpoint",
        description=DELIVERY_SEMANTICS,
        operation_id="webhook_endpoints_create",
        request=EndpointCreateInput,
        responses={201: EndpointWithSecretOutput},
    )
    def post(self, request: Request) -> Response:
        data = validated(EndpointCreateInput, request.data)
        endpoint, secret = services.webhook_endpoint_create(**request_scope(request), **data)
        return Response(endpoint_data(endpoint, secret=secret), status=status.HTTP_201_CREATED)


class WebhookEndpointDetailView(MerchantAPIView):
    def _get(self, request: Request, endpoint_id: str) -> WebhookEndpoint:
        return selectors.webhook_endpoint_get(**request_scope(request), endpoint_id=endpoint_id)

    @extend_schema(summary="Retrieve a webhook endpoint", responses=EndpointOutput)
    def get(self, request: Request, endpoint_id: str) -> Response:
        return Response(endpoint_data(self._get(request, endpoint_id)))

    @extend_schema(
        summary="Update a webhook endpoint",
        description="Enabling a disabled endpoint clears `disabled_reason`.",
        request=EndpointUpdateInput,
        responses=EndpointOutput,
    )
    def patch(self, request: Request, endpoint_id: str) -> Response:
        endpoint = self._get(request, endpoint_id)
        data = validated(EndpointUpdateInput, request.data)
        endpoint = services.webhook_endpoint_update(endpoint=endpoint, **data)
        return Response(endpoint_data(endpoint))

    @extend_schema(summary="Delete a webhook endpoint", responses={204: None})
    def delete(self, request: Request, endpoint_id: str) -> Response:
        validated(NoInput, request.data)
        services.webhook_endpoint_delete(endpoint=self._get(request, endpoint_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebhookEndpointRotateSecretView(MerchantAPIView):
    @extend_schema(
        summary="Rotate a webhook endpoint's signing secret",
        description="The previous secret keeps signing (a second signature) for 24 hours.",
        request=None,
        responses=EndpointWithSecretOutput,
    )
    def post(self, request: Request, endpoint_id: str) -> Response:
        validated(NoInput, request.data)
        endpoint = selectors.webhook_endpoint_get(**request_scope(request), endpoint_id=endpoint_id)
        endpoint, secret = services.webhook_endpoint_rotate_secret(endpoint=endpoint)
        return Response(endpoint_data(endpoint, secret=secret))


class WebhookEndpointRedeliverFailedView(MerchantAPIView):
    @extend_schema(
        summary="Redeliver an endpoint's failed deliveries since a time",
        request=RedeliverFailedInput,
        responses={202: RedeliveryOutput},
    )
    def post(self, request: Request, endpoint_id: str) -> Response:
        endpoint = selectors.webhook_endpoint_get(**request_scope(request), endpoint_id=endpoint_id)
        since = validated(RedeliverFailedInput, request.data)["since"]
        return _deliveries_response(
            services.endpoint_redeliver_failed(endpoint=endpoint, since=since)
        )


class WebhookEndpointDeliveriesView(MerchantListView):
    serializer_class = DeliveryOutput
    filterset_class = DeliveryFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return WebhookDelivery.objects.none()
        endpoint = selectors.webhook_endpoint_get(
            **request_scope(self.request), endpoint_id=self.kwargs["endpoint_id"]
        )
        return selectors.endpoint_delivery_list(endpoint=endpoint)

    @extend_schema(
        summary="List an endpoint's deliveries", operation_id="webhook_endpoint_deliveries_list"
    )
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)


class EventRedeliverView(MerchantAPIView):
    @extend_schema(
        summary="Redeliver an event to its webhook endpoints",
        description="A new attempt now and a fresh retry schedule, per enabled endpoint. "
        "Receivers get the same `webhook-id` again.",
        request=EventRedeliverInput,
        responses={202: RedeliveryOutput},
    )
    def post(self, request: Request, event_id: str) -> Response:
        endpoint_id = validated(EventRedeliverInput, request.data).get("endpoint")
        deliveries = services.event_redeliver(
            **request_scope(request), event_id=event_id, endpoint_id=endpoint_id
        )
        return _deliveries_response(deliveries)
