"""Events and the sandbox inbox in the back office (read-only)."""

from __future__ import annotations

from django.contrib import admin
from django.utils.html import format_html

from backoffice.admin_mixins import ModeListFilter
from backoffice.display import mode_display

from ..admin_amounts import amounts_html, json_html
from ..models import (
    Event,
    OutboxMessage,
)
from .base import ScopedReadOnlyAdmin


@admin.register(Event)
class EventAdmin(ScopedReadOnlyAdmin):
    list_display = [
        "public_id",
        "type",
        "mode",
        "object_id",
        "sequence",
        "merchant",
        "created_short",
    ]
    list_filter = [ModeListFilter, "type"]
    mode = mode_display()
    platform_list_filter = ["merchant"]
    search_fields = ["=public_id", "=object_id", "type"]
    fields = [
        "public_id",
        "merchant",
        "livemode",
        "type",
        "object_type",
        "object_id",
        "sequence",
        "created",
        "amounts",
        "data_json",
    ]
    readonly_fields = fields

    @admin.display(description="amounts")
    def amounts(self, obj):
        # Beside the raw JSON (minor units, as webhooks send it): major units and currency.
        return amounts_html(obj.data)

    @admin.display(description="data (API JSON)")
    def data_json(self, obj):
        return json_html(obj.data)


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ScopedReadOnlyAdmin):
    """The sandbox inbox: codes and notices sent to shoppers in test mode."""

    list_display = ["created_short", "channel", "to", "sandbox_body", "payment", "merchant"]
    list_filter = ["channel"]
    platform_list_filter = ["merchant"]
    search_fields = ["to", "=payment__public_id"]
    fields = ["created", "channel", "to", "sandbox_body", "payment", "merchant", "livemode"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).filter(livemode=False)

    @admin.display(description="message")
    def sandbox_body(self, obj):
        return obj.body if not obj.livemode else format_html("<em>{}</em>", "hidden (live)")
