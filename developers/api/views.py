"""``GET /api/v1/request-logs``: the merchant's own logged API requests."""

from __future__ import annotations

import django_filters as df
from rest_framework import serializers

from payments.api.base import MerchantListView
from payments.api.filters import UtcDateTimeFilter

from ..models import RequestLog
from ..selectors import request_log_list


class RequestLogFilter(df.FilterSet):
    status = df.NumberFilter(min_value=100, max_value=599, help_text="e.g. 400")
    path = df.CharFilter(
        lookup_expr="icontains", max_length=255, help_text="Part of the path, e.g. a payment id"
    )
    request_id = df.CharFilter(max_length=128, help_text="The X-Request-Id of the answer")

    class Meta:
        model = RequestLog
        fields: list[str] = []


for _lookup in ("gte", "lte"):
    RequestLogFilter.base_filters[f"created[{_lookup}]"] = UtcDateTimeFilter(
        field_name="created", lookup_expr=_lookup
    )


class RequestLogOutput(serializers.Serializer):
    id = serializers.SerializerMethodField()
    object = serializers.SerializerMethodField()
    livemode = serializers.BooleanField()
    created = serializers.DateTimeField()
    method = serializers.CharField()
    path = serializers.CharField()
    status = serializers.IntegerField()
    code = serializers.CharField(allow_null=True, help_text="The problem's code, if any")
    request_id = serializers.CharField()
    idempotency_key = serializers.CharField(allow_null=True)
    replayed = serializers.BooleanField()
    key_prefix = serializers.CharField()
    duration_ms = serializers.IntegerField()
    source_ip = serializers.IPAddressField(allow_null=True)
    request_body = serializers.JSONField(allow_null=True)
    response_body = serializers.JSONField(allow_null=True)

    def get_id(self, obj) -> str:
        return f"req_{obj.pk}"

    def get_object(self, obj) -> str:
        return "request_log"

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["code"] = data["code"] or None
        data["idempotency_key"] = data["idempotency_key"] or None
        return data


class RequestLogListView(MerchantListView):
    """The key's merchant's API requests in its mode, newest first, kept 30 days by default.

    Bodies are stored with card numbers masked and CVCs, codes and secrets removed.
    """

    serializer_class = RequestLogOutput
    filterset_class = RequestLogFilter
    selector = request_log_list
