"""Back office for billing: customers with their saved cards (masked), scoped to the merchant.

Rows are written by ``billing.services`` only (the API); the pages show them.
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Count, Q

from backoffice.admin_mixins import MerchantScopedAdmin, short_datetime, short_id, short_text
from payments.admin_amounts import json_html

from .admin_subscriptions import CustomerInvoiceInline, SubscriptionInline
from .models import Customer, PaymentMethod


class PaymentMethodInline(admin.TabularInline):
    model = PaymentMethod
    fk_name = "customer"
    extra = 0
    can_delete = False
    show_change_link = False
    fields = ["public_id", "card_masked", "consent_usage", "consented_at", "detached_at"]
    readonly_fields = fields
    verbose_name = "saved payment method"

    @admin.display(description="card")
    def card_masked(self, obj):
        return obj.masked  # brand, last 4 and expiry: never more of the card

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Customer)
class CustomerAdmin(MerchantScopedAdmin, admin.ModelAdmin):
    list_display = [
        "id_short",
        "email",
        "name_short",
        "merchant_short",
        "livemode",
        "methods",
        "deleted_at",
        "created_short",
    ]
    list_filter = ["livemode"]
    platform_list_filter = ["merchant"]
    search_fields = ["=public_id", "email", "name"]
    fields = [
        "public_id",
        "merchant",
        "livemode",
        "email",
        "name",
        "metadata_json",
        "deleted_at",
        "created",
    ]
    readonly_fields = fields
    inlines = [PaymentMethodInline, SubscriptionInline, CustomerInvoiceInline]

    def get_queryset(self, request):
        attached = Count("payment_methods", filter=Q(payment_methods__detached_at__isnull=True))
        return super().get_queryset(request).select_related("merchant").annotate(cards=attached)

    def has_change_permission(self, request, obj=None):
        return False  # customers change through the API

    @admin.display(description="id", ordering="public_id")
    def id_short(self, obj):
        return short_id(obj.public_id)

    @admin.display(description="name", ordering="name")
    def name_short(self, obj):
        return short_text(obj.name, 24)

    @admin.display(description="saved cards", ordering="cards")
    def methods(self, obj):
        return obj.cards

    @admin.display(description="metadata")
    def metadata_json(self, obj):
        return json_html(obj.metadata)

    @admin.display(description="created", ordering="created")
    def created_short(self, obj):
        return short_datetime(obj.created)
