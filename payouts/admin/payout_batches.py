"""Payout batches in the back office: upload, approve (a second person, fresh code), send to
the bank (the SEPA file, fresh code: it carries account numbers), import the bank's results."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from backoffice.admin_mixins import MerchantScopedAdmin, ReadOnlyAdminMixin, short_id
from backoffice.audit import audit_record
from backoffice.display import money_display, money_text
from backoffice.step_up import step_up_action
from payments.errors import DomainError, ValidationFailed

from .. import services
from ..csv_io import PAYOUT_COLUMNS, PAYOUT_OPTIONAL, RESULT_COLUMNS, RESULT_OPTIONAL, csv_rows
from ..forms import ResultsUploadForm
from ..models import PayoutBatch, PayoutItem, Recipient
from ..selectors import payout_batch_summary
from ..sepa import sepa_credit_transfer, sepa_items
from .common import error_list, rejected_table, upload_view


@admin.register(PayoutBatch)
class PayoutBatchAdmin(MerchantScopedAdmin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "batch_id",
        "reference",
        "merchant_short",
        "status",
        "totals",
        "prepared",
        "approved_by",
        "created_short",
    ]
    list_filter = ["status", "livemode", "source"]
    platform_list_filter = ["merchant"]
    search_fields = ["=public_id", "reference"]
    list_select_related = ["merchant", "prepared_by", "approved_by"]
    fields = [
        "public_id",
        "merchant",
        "livemode",
        "reference",
        "status",
        "source",
        "prepared",
        "approved_by",
        "approved_at",
        "exported_at",
        "rows_total",
        "totals",
        "items_link",
        "results_link",
        "rejected_rows",
        "created",
    ]
    readonly_fields = fields
    actions = ["approve", "cancel", "send_to_bank"]
    manager_actions = ("approve", "cancel", "send_to_bank")
    change_list_template = "admin/payouts/change_list.html"

    @admin.display(description="batch", ordering="public_id")
    def batch_id(self, obj):
        return short_id(obj.public_id)

    @admin.display(description="prepared by")
    def prepared(self, obj):
        return obj.prepared_by or "API"

    @admin.display(description="totals")
    def totals(self, obj):
        summary = payout_batch_summary(batch=obj)
        shown = ", ".join(money_text(t, c) for c, t in summary["totals"].items())
        return f"{summary['count']} payouts: {shown}" if summary["count"] else "—"

    @admin.display(description="payouts")
    def items_link(self, obj):
        url = reverse("admin:payouts_payoutitem_changelist") + f"?batch__id__exact={obj.pk}"
        return format_html('<a href="{}">The batch\'s payouts</a>', url)

    @admin.display(description="bank results")
    def results_link(self, obj):
        url = reverse("admin:payouts_payoutbatch_results", args=[obj.pk])
        return format_html('<a href="{}" id="results-link">Import the bank\'s results</a>', url)

    @admin.display(description="refused rows")
    def rejected_rows(self, obj):
        return rejected_table(obj.rejected)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("upload/", view(self.upload_view), name="payouts_payoutbatch_upload"),
            path(
                "<int:object_id>/results/",
                view(self.results_view),
                name="payouts_payoutbatch_results",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        context = {"upload_url": reverse("admin:payouts_payoutbatch_upload")}
        return super().changelist_view(request, {**context, **(extra_context or {})})

    def upload_view(self, request):
        def create(merchant, livemode, reference, rows, user):
            return services.payout_batch_create(
                merchant=merchant,
                livemode=livemode,
                reference=reference,
                items=rows,
                source=PayoutBatch.Source.CSV,
                prepared_by=user,
            )

        return upload_view(
            self,
            request,
            kind="payouts",
            columns=PAYOUT_COLUMNS,
            optional=PAYOUT_OPTIONAL,
            create=create,
        )

    def results_view(self, request, object_id):
        batch = self.get_queryset(request).filter(pk=object_id).first()
        if batch is None:
            raise Http404("No such payout batch.")
        if not self.can_manage_object(request, batch):
            raise PermissionDenied
        form = ResultsUploadForm(request.POST or None, request.FILES or None)
        report = None
        if request.method == "POST" and form.is_valid():
            try:
                rows = csv_rows(
                    form.cleaned_data["file"], columns=RESULT_COLUMNS, optional=RESULT_OPTIONAL
                )
            except ValidationFailed as err:
                form.add_error("file", error_list(err))
            else:
                report = services.payout_results_apply(batch=batch, rows=rows)
                audit_record(
                    request=request,
                    action="payouts.results_imported",
                    obj=batch,
                    merchant=batch.merchant,
                    details={k: report[k] for k in ("applied", "unchanged")},
                )
        context = {
            **self.admin_site.each_context(request),
            "title": "Import the bank's results",
            "opts": self.model._meta,
            "batch": batch,
            "form": form,
            "report": report,
        }
        return TemplateResponse(request, "admin/payouts/results.html", context)

    def _each_managed(self, request, queryset, do, done: str) -> None:
        for batch in queryset:
            if not self.can_manage_object(request, batch):
                self.message_user(
                    request, f"{batch.reference}: you do not manage its merchant.", messages.ERROR
                )
                continue
            try:
                do(batch)
            except DomainError as err:
                self.message_user(request, f"{batch.reference}: {err.message}", messages.ERROR)
            else:
                self.message_user(request, f"{batch.reference}: {done}", messages.SUCCESS)

    @admin.action(description="Approve the selected batches (holds their total)")
    @step_up_action("payouts.batch_approve", "Approve payout batches")
    def approve(self, request, queryset):
        def do(batch):
            services.payout_batch_approve(batch=batch, user=request.user)
            audit_record(
                request=request, action="payouts.batch_approved", obj=batch, merchant=batch.merchant
            )

        self._each_managed(request, queryset, do, "approved; its total is held.")

    @admin.action(description="Cancel the selected batches (before approval)")
    def cancel(self, request, queryset):
        def do(batch):
            services.payout_batch_cancel(batch=batch)

        self._each_managed(request, queryset, do, "canceled.")

    @admin.action(description="Send to the bank and download the SEPA file (pain.001)")
    @step_up_action("payouts.sepa_export", "Send payouts to the bank (SEPA file)")
    def send_to_bank(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Select one batch to send.", messages.ERROR)
            return None
        batch = queryset.get()
        if not self.can_manage_object(request, batch):
            raise PermissionDenied
        try:
            batch = services.payout_batch_submit(batch=batch)
        except DomainError as err:
            self.message_user(request, f"{batch.reference}: {err.message}", messages.ERROR)
            return None
        audit_record(
            request=request, action="payouts.sepa_exported", obj=batch, merchant=batch.merchant
        )
        if not sepa_items(batch=batch).exists():
            self.message_user(
                request, f"{batch.reference}: sent; it has no EUR payout, so no SEPA file."
            )
            return None
        response = HttpResponse(sepa_credit_transfer(batch=batch), content_type="application/xml")
        name = f"pain001-{batch.public_id}.xml"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        response["Cache-Control"] = "no-store"
        return response


@admin.register(PayoutItem)
class PayoutItemAdmin(MerchantScopedAdmin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "item_id",
        "row",
        "reference",
        "recipient_name",
        "iban",
        "amount_display",
        "status",
        "failure_code",
        "merchant_short",
    ]
    list_filter = ["status", "currency", "livemode"]
    platform_list_filter = ["merchant"]
    search_fields = ["=public_id", "reference", "recipient__name", "batch__reference"]
    list_select_related = ["merchant", "recipient", "batch"]
    amount_display = money_display("amount", "amount")

    def lookup_allowed(self, lookup, value, request=None):
        if lookup == "batch__id__exact":
            return True
        return super().lookup_allowed(lookup, value, request)

    @admin.display(description="payout", ordering="public_id")
    def item_id(self, obj):
        return short_id(obj.public_id)

    @admin.display(description="recipient")
    def recipient_name(self, obj):
        return obj.recipient.name

    @admin.display(description="IBAN")
    def iban(self, obj):
        return obj.recipient.iban_masked


@admin.register(Recipient)
class RecipientAdmin(MerchantScopedAdmin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["name", "iban_masked", "bic", "country", "currency", "merchant_short"]
    list_filter = ["currency", "country", "livemode"]
    platform_list_filter = ["merchant"]
    search_fields = ["name", "=public_id"]
    exclude = ["iban"]
    readonly_fields = ["public_id", "merchant", "livemode", "name", "iban_masked", "bic"]
