"""The admin's developer section: the API requests of the staff's own merchants."""

from __future__ import annotations

from django.contrib import admin

from backoffice.admin_mixins import MerchantScopedAdmin
from payments.admin_amounts import json_html

from .models import RequestLog


@admin.register(RequestLog)
class RequestLogAdmin(MerchantScopedAdmin, admin.ModelAdmin):
    """Searchable by request id, path (an object's id is in it), error code and status."""

    list_display = [
        "created_short",
        "method",
        "path",
        "status",
        "code",
        "request_id",
        "replayed",
        "duration_ms",
    ]
    list_filter = ["status", "livemode", "method", "replayed"]
    platform_list_filter = ["merchant"]
    search_fields = ["=request_id", "path", "=code", "=status", "=idempotency_key"]
    date_hierarchy = "created"
    fields = [
        "created",
        "merchant",
        "livemode",
        "method",
        "path",
        "status",
        "code",
        "request_id",
        "idempotency_key",
        "replayed",
        "key_prefix",
        "duration_ms",
        "source_ip",
        "request_body_display",
        "response_body_display",
    ]
    readonly_fields = fields

    def has_change_permission(self, request, obj=None):
        return False  # a log is read, never edited

    @admin.display(description="Request body")
    def request_body_display(self, obj):
        return json_html(obj.request_body)

    @admin.display(description="Response body")
    def response_body_display(self, obj):
        return json_html(obj.response_body)
