"""Charge batches in the back office: upload a CSV (checked, nothing charged), start, follow."""

from __future__ import annotations

from django.contrib import admin, messages
from django.urls import path, reverse
from django.utils.html import format_html

from backoffice.admin_mixins import MerchantScopedAdmin, ReadOnlyAdminMixin, short_id
from backoffice.audit import audit_record
from backoffice.display import money_display
from payments.errors import DomainError

from .. import services
from ..csv_io import CHARGE_COLUMNS
from ..models import ChargeBatch, ChargeItem
from ..selectors import charge_batch_progress
from .common import rejected_table, upload_view


@admin.register(ChargeBatch)
class ChargeBatchAdmin(MerchantScopedAdmin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["batch_id", "reference", "merchant_short", "status", "progress", "created"]
    list_filter = ["status", "livemode"]
    platform_list_filter = ["merchant"]
    search_fields = ["=public_id", "reference"]
    list_select_related = ["merchant"]
    fields = [
        "public_id",
        "merchant",
        "livemode",
        "reference",
        "status",
        "rows_total",
        "progress",
        "items_link",
        "rejected_rows",
        "started_at",
        "completed_at",
        "created",
    ]
    readonly_fields = fields
    actions = ["start"]
    manager_actions = ("start",)
    change_list_template = "admin/payouts/change_list.html"

    @admin.display(description="batch", ordering="public_id")
    def batch_id(self, obj):
        return short_id(obj.public_id)

    @admin.display(description="progress")
    def progress(self, obj):
        p = charge_batch_progress(batch=obj)
        codes = ", ".join(f"{code} {n}" for code, n in p["failed_by_code"].items())
        text = f"{p['processed']}/{p['total']} processed: {p['succeeded']} succeeded, "
        return text + f"{p['failed']} failed" + (f" ({codes})" if codes else "")

    @admin.display(description="charges")
    def items_link(self, obj):
        url = reverse("admin:payouts_chargeitem_changelist") + f"?batch__id__exact={obj.pk}"
        return format_html('<a href="{}">The batch\'s charges</a>', url)

    @admin.display(description="refused rows")
    def rejected_rows(self, obj):
        return rejected_table(obj.rejected)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("upload/", view(self.upload_view), name="payouts_chargebatch_upload"),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        context = {"upload_url": reverse("admin:payouts_chargebatch_upload")}
        return super().changelist_view(request, {**context, **(extra_context or {})})

    def upload_view(self, request):
        def create(merchant, livemode, reference, rows, user):
            return services.charge_batch_create(
                merchant=merchant, livemode=livemode, reference=reference, items=rows
            )

        return upload_view(
            self, request, kind="charges", columns=CHARGE_COLUMNS, optional=(), create=create
        )

    @admin.action(description="Start charging the selected batches")
    def start(self, request, queryset):
        for batch in queryset:
            if not self.can_manage_object(request, batch):
                self.message_user(
                    request, f"{batch.reference}: you do not manage its merchant.", messages.ERROR
                )
                continue
            try:
                services.charge_batch_start(batch=batch)
            except DomainError as err:
                self.message_user(request, f"{batch.reference}: {err.message}", messages.ERROR)
                continue
            audit_record(
                request=request,
                action="payouts.charges_started",
                obj=batch,
                merchant=batch.merchant,
            )
            self.message_user(request, f"{batch.reference}: charging.", messages.SUCCESS)


@admin.register(ChargeItem)
class ChargeItemAdmin(MerchantScopedAdmin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "item_id",
        "row",
        "reference",
        "customer_id",
        "amount_display",
        "status",
        "decline_code",
        "merchant_short",
    ]
    list_filter = ["status", "decline_code", "livemode"]
    platform_list_filter = ["merchant"]
    search_fields = ["=public_id", "reference", "customer_id", "batch__reference"]
    list_select_related = ["merchant", "batch"]
    amount_display = money_display("amount", "amount")

    def lookup_allowed(self, lookup, value, request=None):
        if lookup == "batch__id__exact":
            return True
        return super().lookup_allowed(lookup, value, request)

    @admin.display(description="charge", ordering="public_id")
    def item_id(self, obj):
        return short_id(obj.public_id)
