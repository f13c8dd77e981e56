"""Webhook endpoints and redelivery in the merchant API.

Endpoints belong to the API key's merchant and mode; another merchant's endpoint is a 404.
The signing secret is in the answer that creates an endpoint or rotates its secret, and never
again.
"""

from __future__ import annotations

import django_filters as df
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from payments import webhooks
from payments.models import WebhookDelivery, WebhookEndpoint

from .base import MerchantAPIView, MerchantListView
from .serializers import Input, NoInput, constant_field

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
    "after about 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h (Retry-After honoured for 429, "
    "502, 503 and 504). An endpoint failing every delivery for 5 days is disabled "
    "(`disabled_reason` says why). A merchant has at most 16 endpoints per mode (409 "
    "`endpoint_limit_reached`); one endpoint may receive every event type."
)


def _scope(request: Request) -> dict:
    return {"merchant": request.auth.merchant, "livemode": request.auth.livemode}


def _valid(serializer_class, data, **kwargs) -> dict:
    serializer = serializer_class(data=data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


@extend_schema_field(
    {
        "type": "array",
        "items": {"type": "string", "enum": ["*", *webhooks.EVENT_TYPES]},
        "minItems": 1,
        "description": 'Event types to receive, or ["*"] for all.',
    }
)
class EventTypesField(serializers.ListField):
    child = serializers.CharField(max_length=64)
    max_items = 100  # far more than there are event types

    def to_internal_value(self, data):
        # Before each item is checked: 300000 bad items would cost seconds of CPU.
        if isinstance(data, list) and len(data) > self.max_items:
            raise serializers.ValidationError(
                f"List at most {self.max_items} event types.", code="max_length"
            )
        return super().to_internal_value(data)


class EndpointCreateInput(Input):
    url = serializers.CharField(max_length=2000, help_text="https URL receiving the events")
    enabled_events = EventTypesField()
    description = serializers.CharField(max_length=500, required=False, allow_blank=True)
    enabled = serializers.BooleanField(required=False, default=True)


class EndpointUpdateInput(Input):
    url = serializers.CharField(max_length=2000, required=False)
    enabled_events = EventTypesField(required=False)
    description = serializers.CharField(max_length=500, required=False, allow_blank=True)
    enabled = serializers.BooleanField(required=False)


class RedeliverFailedInput(Input):
    since = serializers.DateTimeField(help_text="Failed deliveries of events since this time")


class EventRedeliverInput(Input):
    endpoint = serializers.CharField(
        max_length=32, required=False, help_text="Only this endpoint (we_...); default all"
    )


def _constant(value: str) -> serializers.Field:
    # A subclass per value: annotating CharField itself would make every string field this enum.
    return constant_field(value)


class EndpointOutput(serializers.Serializer):
    id = serializers.CharField()
    object = _constant("webhook_endpoint")
    livemode = serializers.BooleanField()
    url = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    enabled_events = EventTypesField()
    enabled = serializers.BooleanField()
    disabled_reason = serializers.CharField(allow_null=True)
    disabled_at = serializers.DateTimeField(allow_null=True)
    failing_since = serializers.DateTimeField(
        allow_null=True, help_text="First failed attempt since the last success"
    )
    secret_rotation_ends_at = serializers.DateTimeField(
        allow_null=True, help_text="Until then the previous secret signs too"
    )
    created = serializers.DateTimeField()

    def to_representation(self, instance):
        return webhooks.endpoint_data(instance)


class EndpointWithSecretOutput(EndpointOutput):
    secret = serializers.CharField(help_text="whsec_...: shown only in this answer")


class DeliveryOutput(serializers.Serializer):
    id = serializers.CharField()
    object = _constant("webhook_delivery")
    livemode = serializers.BooleanField()
    endpoint = serializers.CharField()
    event = serializers.CharField()
    event_type = serializers.CharField()
    status = serializers.ChoiceField(choices=WebhookDelivery.Status.choices)
    attempt_count = serializers.IntegerField()
    next_attempt_at = serializers.DateTimeField(allow_null=True)
    last_status_code = serializers.IntegerField(allow_null=True)
    last_error = serializers.CharField(allow_null=True)
    created = serializers.DateTimeField()
    completed_at = serializers.DateTimeField(allow_null=True)

    def to_representation(self, instance):
        return webhooks.delivery_data(instance)


class RedeliveryOutput(serializers.Serializer):
    object = _constant("list")
    data = DeliveryOutput(many=True)


def _deliveries_response(deliveries) -> Response:
    return Response(
        {"object": "list", "data": [webhooks.delivery_data(d) for d in deliveries]},
        status=status.HTTP_202_ACCEPTED,
    )


class EndpointFilter(df.FilterSet):
    # Not BooleanFilter: it reads any other value (enabled=flase) as no filter at all.
    enabled = df.TypedChoiceFilter(
        choices=[("true", "true"), ("false", "false")],
        coerce=lambda value: value == "true",
        help_text="true or false",
    )

    class Meta:
        model = WebhookEndpoint
        fields: list[str] = []


class DeliveryFilter(df.FilterSet):
    status = df.ChoiceFilter(choices=WebhookDelivery.Status.choices)
    event = df.CharFilter(field_name="event__public_id", max_length=32, help_text="An event id")

    class Meta:
        model = WebhookDelivery
        fields: list[str] = []


class WebhookEndpointListCreateView(MerchantListView):
    serializer_class = EndpointOutput
    filterset_class = EndpointFilter
    selector = staticmethod(webhooks.webhook_endpoint_list)

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
        data = _valid(EndpointCreateInput, request.data)
        endpoint, secret = webhooks.webhook_endpoint_create(**_scope(request), **data)
        return Response(
            webhooks.endpoint_data(endpoint, secret=secret), status=status.HTTP_201_CREATED
        )


class WebhookEndpointDetailView(MerchantAPIView):
    def _get(self, request: Request, endpoint_id: str) -> WebhookEndpoint:
        return webhooks.webhook_endpoint_get(**_scope(request), endpoint_id=endpoint_id)

    @extend_schema(summary="Retrieve a webhook endpoint", responses=EndpointOutput)
    def get(self, request: Request, endpoint_id: str) -> Response:
        return Response(webhooks.endpoint_data(self._get(request, endpoint_id)))

    @extend_schema(
        summary="Update a webhook endpoint",
        description="Enabling a disabled endpoint clears `disabled_reason`.",
        request=EndpointUpdateInput,
        responses=EndpointOutput,
    )
    def patch(self, request: Request, endpoint_id: str) -> Response:
        endpoint = self._get(request, endpoint_id)
        data = _valid(EndpointUpdateInput, request.data)
        endpoint = webhooks.webhook_endpoint_update(endpoint=endpoint, **data)
        return Response(webhooks.endpoint_data(endpoint))

    @extend_schema(summary="Delete a webhook endpoint", responses={204: None})
    def delete(self, request: Request, endpoint_id: str) -> Response:
        _valid(NoInput, request.data)
        webhooks.webhook_endpoint_delete(endpoint=self._get(request, endpoint_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebhookEndpointRotateSecretView(MerchantAPIView):
    @extend_schema(
        summary="Rotate a webhook endpoint's signing secret",
        description="The previous secret keeps signing (a second signature) for 24 hours.",
        request=None,
        responses=EndpointWithSecretOutput,
    )
    def post(self, request: Request, endpoint_id: str) -> Response:
        _valid(NoInput, request.data)
        endpoint = webhooks.webhook_endpoint_get(**_scope(request), endpoint_id=endpoint_id)
        endpoint, secret = webhooks.webhook_endpoint_rotate_secret(endpoint=endpoint)
        return Response(webhooks.endpoint_data(endpoint, secret=secret))


class WebhookEndpointRedeliverFailedView(MerchantAPIView):
    @extend_schema(
        summary="Redeliver an endpoint's failed deliveries since a time",
        request=RedeliverFailedInput,
        responses={202: RedeliveryOutput},
    )
    def post(self, request: Request, endpoint_id: str) -> Response:
        endpoint = webhooks.webhook_endpoint_get(**_scope(request), endpoint_id=endpoint_id)
        since = _valid(RedeliverFailedInput, request.data)["since"]
        return _deliveries_response(
            webhooks.endpoint_redeliver_failed(endpoint=endpoint, since=since)
        )


class WebhookEndpointDeliveriesView(MerchantListView):
    serializer_class = DeliveryOutput
    filterset_class = DeliveryFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return WebhookDelivery.objects.none()
        endpoint = webhooks.webhook_endpoint_get(
            **_scope(self.request), endpoint_id=self.kwargs["endpoint_id"]
        )
        return endpoint.deliveries.select_related("endpoint", "event").order_by("-created", "-id")

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
        endpoint_id = _valid(EventRedeliverInput, request.data).get("endpoint")
        deliveries = webhooks.event_redeliver(
            **_scope(request), event_id=event_id, endpoint_id=endpoint_id
        )
        return _deliveries_response(deliveries)
