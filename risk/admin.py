"""Back office of risk: the review queue (approve = capture, or cancel, with a fresh TOTP code,
audited), the evaluations, rules with their versions, lists and each merchant's thresholds.

Rows are scoped to the staff member's merchants. Rules and lists are written through the API
(their services check them); the pages show them.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.http import Http404
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from backoffice.admin_mixins import MerchantScopedAdmin, ReadOnlyAdminMixin, short_id, short_text
from backoffice.audit import audit_record
from backoffice.display import money_text
from backoffice.step_up import step_up_action
from payments.admin_amounts import json_html
from payments.errors import DomainError

from .models import Dispute, Evaluation, ListEntry, Review, RiskSettings, Rule, RuleVersion
from .services.evidence import evidence_file_response
from .services.reviews import review_decide


def reasons_html(evaluation: Evaluation):
    rules = format_html_join(
        "",
        "<li>{} ({}, {}{})</li>",
        (
            (r["name"], r["action"], r["mode"], ", error" if r.get("error") else "")
            for r in evaluation.matched_rules
        ),
    )
    features = format_html_join("", "<li>{}</li>", ((f["text"],) for f in evaluation.top_features))
    return format_html(
        "<p><strong>{}</strong> · score {} ({}) · {}</p><p>Rules matched:</p><ul>{}</ul>"
        "<p>Top reasons:</p><ul>{}</ul>",
        evaluation.decision,
        evaluation.score,
        evaluation.level,
        evaluation.reason or "no rule decided",
        rules or format_html("<li>none</li>"),
        features or format_html("<li>none</li>"),
    )


@admin.register(Review)
class ReviewAdmin(MerchantScopedAdmin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "review_id",
        "payment_short",
        "merchant_short",
        "amount_display",
        "score",
        "status",
        "reason_short",
        "opened_at",
    ]
    list_filter = ["status", "livemode"]
    platform_list_filter = ["merchant"]
    search_fields = ["=public_id", "=payment__public_id"]
    list_select_related = ["payment", "evaluation", "merchant"]
    ordering = ["-opened_at", "-id"]
    actions = ["approve_reviews", "cancel_reviews"]
    manager_actions = ("approve_reviews", "cancel_reviews")
    fields = ["public_id", "payment", "status", "evaluation_html", "closed_by", "closed_at", "note"]
    readonly_fields = fields

    @admin.display(description="amount")
    def amount_display(self, obj):
        return money_text(obj.payment.amount, obj.payment.currency)

    @admin.display(description="review", ordering="opened_at")
    def review_id(self, obj):
        return short_id(obj.public_id)

    @admin.display(description="payment")
    def payment_short(self, obj):
        return short_id(obj.payment.public_id)

    @admin.display(description="score", ordering="evaluation__score")
    def score(self, obj):
        return f"{obj.evaluation.score} ({obj.evaluation.level})"

    @admin.display(description="why")
    def reason_short(self, obj):
        return short_text(obj.reason, 40)

    @admin.display(description="evaluation")
    def evaluation_html(self, obj):
        return reasons_html(obj.evaluation)

    def _decide(self, request, queryset, decision: str, done: str) -> None:
        count = 0
        for review in queryset.select_related("payment", "merchant"):
            if not self.can_manage_object(request, review):
                messages.error(request, f"{review.public_id}: only a manager may decide.")
                continue
            try:
                review_decide(review=review, decision=decision, user=request.user)
            except DomainError as err:
                messages.error(request, f"{review.public_id}: {err.message}")
                continue
            audit_record(
                request=request,
                action=f"review.{decision}",
                obj=review,
                merchant=review.merchant,
                details={"payment": review.payment.public_id},
            )
            count += 1
        if count:
            messages.success(request, f"{count} review(s) {done}.")

    @admin.action(description="Approve: capture the selected payments")
    @step_up_action("review.approve", "Approving the selected reviews captures their payments")
    def approve_reviews(self, request, queryset):
        self._decide(request, queryset, "approve", "approved, payments captured")

    @admin.action(description="Refuse: cancel (void) the selected payments")
    @step_up_action("review.cancel", "Refusing the selected reviews voids their payments")
    def cancel_reviews(self, request, queryset):
        self._decide(request, queryset, "cancel", "refused, payments voided")


@admin.register(Evaluation)
class EvaluationAdmin(MerchantScopedAdmin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["payment_short", "merchant_short", "score", "level", "decision", "created"]
    list_filter = ["decision", "level", "livemode"]
    platform_list_filter = ["merchant"]
    search_fields = ["=payment__public_id"]
    list_select_related = ["payment", "merchant"]
    fields = [
        "payment",
        "score",
        "level",
        "decision",
        "explanation",
        "features_json",
        "model_version",
        "created",
    ]
    readonly_fields = fields

    @admin.display(description="payment")
    def payment_short(self, obj):
        return short_id(obj.payment.public_id)

    @admin.display(description="explanation")
    def explanation(self, obj):
        return reasons_html(obj)

    @admin.display(description="features")
    def features_json(self, obj):
        return json_html(obj.features)


class RuleVersionInline(admin.TabularInline):
    model = RuleVersion
    extra = 0
    can_delete = False
    fields = ["version", "name", "expression", "action", "mode", "created"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Rule)
class RuleAdmin(MerchantScopedAdmin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["name", "expression_short", "action", "mode", "version", "merchant_short"]
    list_filter = ["action", "mode", "livemode"]
    platform_list_filter = ["merchant"]
    search_fields = ["=public_id", "name"]
    inlines = [RuleVersionInline]

    @admin.display(description="expression")
    def expression_short(self, obj):
        return short_text(obj.expression, 60)


@admin.register(ListEntry)
class ListEntryAdmin(MerchantScopedAdmin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["list", "kind", "value", "source", "reason", "expires_at", "merchant_short"]
    list_filter = ["list", "kind", "source", "livemode"]
    platform_list_filter = ["merchant"]
    search_fields = ["value"]


@admin.register(RiskSettings)
class RiskSettingsAdmin(MerchantScopedAdmin, admin.ModelAdmin):
    list_display = ["merchant", "elevated_threshold", "highest_threshold", "highest_action"]
    fields = [
        "merchant",
        "elevated_threshold",
        "elevated_action",
        "highest_threshold",
        "highest_action",
        "card_testing_guard",
    ]
    allow_add = True


@admin.register(Dispute)
class DisputeAdmin(MerchantScopedAdmin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "dispute_id",
        "payment_short",
        "merchant_short",
        "amount_display",
        "reason",
        "status",
        "evidence_due_by",
        "created",
    ]
    list_filter = ["status", "reason", "livemode"]
    platform_list_filter = ["merchant"]
    search_fields = ["=public_id", "=payment__public_id"]
    list_select_related = ["payment", "merchant"]
    fields = [
        "public_id",
        "payment",
        "amount_display",
        "fee_display",
        "reason",
        "status",
        "evidence_json",
        "evidence_files_html",
        "evidence_due_by",
        "submitted_at",
        "closed_at",
        "funds_reinstated",
    ]
    readonly_fields = fields

    @admin.display(description="dispute", ordering="created")
    def dispute_id(self, obj):
        return short_id(obj.public_id)

    @admin.display(description="payment")
    def payment_short(self, obj):
        return short_id(obj.payment.public_id)

    @admin.display(description="amount")
    def amount_display(self, obj):
        return money_text(obj.amount, obj.currency)

    @admin.display(description="fee")
    def fee_display(self, obj):
        return money_text(obj.fee, obj.currency)

    @admin.display(description="evidence")
    def evidence_json(self, obj):
        return json_html(obj.evidence)

    @admin.display(description="evidence files")
    def evidence_files_html(self, obj):
        rows = format_html_join(
            "",
            '<li><a href="{}" class="evidence-file">{}</a> ({}, {} bytes)</li>',
            (
                (
                    reverse("admin:risk_dispute_evidence_file", args=[obj.pk, f.public_id]),
                    f.name,
                    f.content_type,
                    f.size,
                )
                for f in obj.evidence_files()
            ),
        )
        return format_html("<ul>{}</ul>", rows) if rows else "none"

    def get_urls(self):
        return [
            path(
                "<int:object_id>/evidence/<str:file_id>/",
                self.admin_site.admin_view(self.evidence_file_view),
                name="risk_dispute_evidence_file",
            ),
            *super().get_urls(),
        ]

    def evidence_file_view(self, request, object_id, file_id):
        """Download an evidence file; a dispute of another merchant is not found."""
        dispute = self.get_queryset(request).filter(pk=object_id).first()
        if dispute is None or not self.has_view_permission(request, dispute):
            raise Http404("No such dispute.")
        found = dispute.files.filter(public_id=file_id).first()
        if found is None:
            raise Http404("No such evidence file.")
        return evidence_file_response(found)
