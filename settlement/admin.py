"""Back office of settlement: batches and payouts (read-only, scoped to the user's merchants),
each batch's CSV report, reconciliation runs, and "run settlement now" for platform staff."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html
from kombu.exceptions import OperationalError

from backoffice.admin_mixins import MerchantScopedAdmin, ReadOnlyAdminMixin, short_id
from backoffice.audit import audit_record
from backoffice.display import money_display

from .models import Payout, ReconciliationRun, SettlementBatch
from .reports import report_response
from .services import latest_cutoff


@admin.register(SettlementBatch)
class SettlementBatchAdmin(MerchantScopedAdmin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "batch_id",
        "merchant_short",
        "cutoff",
        "status",
        "payment_count",
        "gross_amount_display",
        "fees_amount_display",
        "payout_amount_display",
        "payout_date",
        "report_link",
    ]
    list_filter = ["status", "currency", "livemode", "payout_date"]
    platform_list_filter = ["merchant"]
    search_fields = ["public_id", "payout__public_id"]
    date_hierarchy = "cutoff"
    list_select_related = ["merchant", "payout"]
    readonly_fields = [
        "public_id",
        "merchant",
        "livemode",
        "currency",
        "cutoff",
        "status",
        "fee_bps",
        "fee_fixed_display",
        "payment_count",
        "refund_count",
        "gross_amount_display",
        "refunds_amount_display",
        "fees_amount_display",
        "adjustment_count",
        "adjustments_amount_display",
        "net_amount_display",
        "carry_in_display",
        "payout_amount_display",
        "carry_out_display",
        "payout_date",
        "created",
        "closed_at",
        "paid_at",
        "report_link",
    ]
    fields = readonly_fields
    change_list_template = "admin/settlement/settlementbatch/change_list.html"

    fee_fixed_display = money_display("fee_fixed", "fee fixed")
    gross_amount_display = money_display("gross_amount", "gross")
    refunds_amount_display = money_display("refunds_amount", "refunds")
    fees_amount_display = money_display("fees_amount", "fees")
    adjustments_amount_display = money_display("adjustments_amount", "adjustments (disputes)")
    net_amount_display = money_display("net_amount", "net")
    carry_in_display = money_display("carry_in", "carry in")
    payout_amount_display = money_display("payout_amount", "payout")
    carry_out_display = money_display("carry_out", "carry out")

    @admin.display(description="batch", ordering="public_id")
    def batch_id(self, obj):
        return short_id(obj.public_id)

    @admin.display(description="report")
    def report_link(self, obj):
        url = reverse("admin:settlement_settlementbatch_report", args=[obj.pk])
        return format_html('<a href="{}" class="report-link">CSV</a>', url)

    def get_urls(self):
        return [
            path(
                "<int:object_id>/report.csv",
                self.admin_site.admin_view(self.report_view),
                name="settlement_settlementbatch_report",
            ),
            path(
                "run/",
                self.admin_site.admin_view(self.run_view),
                name="settlement_settlementbatch_run",
            ),
            *super().get_urls(),
        ]

    def report_view(self, request, object_id):
        """The batch's CSV report; a batch of another merchant is not found."""
        batch = self.get_queryset(request).filter(pk=object_id).first()
        if batch is None:
            raise Http404("No such settlement batch.")
        if not self.has_view_permission(request, batch):
            raise PermissionDenied
        audit_record(
            request=request,
            action="settlement.report_downloaded",
            obj=batch,
            merchant=batch.merchant,
        )
        return report_response(batch)

    def run_view(self, request):
        """Queue the settlement of the latest cut-off passed (platform staff only)."""
        from .tasks import settlement_run_task

        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.is_platform(request):
            raise PermissionDenied
        cutoff = latest_cutoff()
        audit_record(
            request=request,
            action="settlement.run_requested",
            details={"cutoff": cutoff.isoformat()},
        )
        unreachable = []

        def send() -> None:
            try:
                settlement_run_task.delay(cutoff.isoformat())
            except OperationalError:
                unreachable.append(True)

        transaction.on_commit(send)  # runs at once: an admin request holds no transaction
        if unreachable:
            self.message_user(
                request,
                "The task queue is unreachable, so the run did not start. The scheduled run "
                f"settles the cut-off {cutoff:%Y-%m-%d %H:%M} UTC once the queue is back.",
                messages.ERROR,
            )
        else:
            self.message_user(
                request,
                f"Settlement of the cut-off {cutoff:%Y-%m-%d %H:%M} UTC is running; "
                "batches appear here as they close.",
                messages.SUCCESS,
            )
        return HttpResponseRedirect(reverse("admin:settlement_settlementbatch_changelist"))

    def changelist_view(self, request, extra_context=None):
        context = {
            "can_run_settlement": self.is_platform(request),
            "latest_cutoff": latest_cutoff(),
            **(extra_context or {}),
        }
        return super().changelist_view(request, context)


@admin.register(Payout)
class PayoutAdmin(MerchantScopedAdmin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "payout_id",
        "merchant_short",
        "amount_display",
        "payout_date",
        "status",
        "batch_link",
        "paid_at",
    ]
    list_filter = ["status", "currency", "livemode", "payout_date"]
    platform_list_filter = ["merchant"]
    search_fields = ["public_id", "batch__public_id"]
    list_select_related = ["merchant", "batch"]
    readonly_fields = [
        "public_id",
        "merchant",
        "livemode",
        "amount_display",
        "currency",
        "payout_date",
        "status",
        "batch_link",
        "created",
        "paid_at",
    ]
    fields = readonly_fields

    amount_display = money_display("amount", "amount")

    @admin.display(description="payout", ordering="public_id")
    def payout_id(self, obj):
        return short_id(obj.public_id)

    @admin.display(description="settlement batch")
    def batch_link(self, obj):
        url = reverse("admin:settlement_settlementbatch_change", args=[obj.batch_id])
        return format_html('<a href="{}">{}</a>', url, short_id(obj.batch.public_id))


@admin.register(ReconciliationRun)
class ReconciliationRunAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Platform staff only (merchant staff hold no permission on it): the last results."""

    list_display = ["started_at", "finished_at", "ok", "difference_count"]
    list_filter = ["ok"]
    readonly_fields = ["started_at", "finished_at", "ok", "differences"]
    fields = readonly_fields

    @admin.display(description="differences")
    def difference_count(self, obj):
        return len(obj.differences or [])
