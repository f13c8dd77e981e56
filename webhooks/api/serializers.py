"""Inputs, outputs and filters of the webhook endpoints API."""

from __future__ import annotations

import django_filters as df
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from payments.api.serializers import Input, constant_field

from ..models import WebhookDelivery, WebhookEndpoint
from ..representations import delivery_data, endpoint_data
from ..services import EVENT_TYPES


@extend_schema_field(
    {
        "type": "array",
        "items": {"type": "string", "enum": ["*", *EVENT_TYPES]},
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


URL_HELP = (
    "https URL receiving the events, on port 443 (the default) or 8443; a public address. "
    "Another port is refused (code port_not_allowed)."
)


class EndpointCreateInput(Input):
    url = serializers.CharField(max_length=2000, help_text=URL_HELP)
    enabled_events = EventTypesField()
    description = serializers.CharField(max_length=500, required=False, allow_blank=True)
    enabled = serializers.BooleanField(required=False, default=True)


class EndpointUpdateInput(Input):
    url = serializers.CharField(max_length=2000, required=False, help_text=URL_HELP)
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
        return endpoint_data(instance)


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
        return delivery_data(instance)


class RedeliveryOutput(serializers.Serializer):
    object = _constant("list")
    data = DeliveryOutput(many=True)


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
