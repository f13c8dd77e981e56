"""Back office of subscriptions: status, next billing date, invoices and every charge attempt
with its decline code; cancel, pause and resume (each with a fresh authenticator code, since
each changes what is charged); the dunning report. Scoped to the user's merchants.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.template.response import TemplateResponse
from django.urls import path

from backoffice.admin_mixins import MerchantScopedAdmin, short_datetime, short_id, short_text
from backoffice.display import money_display
from backoffice.step_up import step_up_action
from payments.errors import DomainError

from .models import ChargeAttempt, Invoice, Subscription
from .services import subscriptions as services


class _ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class InvoiceInline(_ReadOnlyInline):
    model = Invoice
    fields = [
        "public_id",
        "number",
        "status",
        "total_display",
        "period_start",
        "period_end",
        "attempt_count",
        "next_payment_attempt",
    ]
    readonly_fields = fields
    ordering = ["-created"]
    total_display = money_display("total", "total")


class ChargeAttemptInline(_ReadOnlyInline):
    model = ChargeAttempt
    fk_name = "subscription"
    fields = [
        "invoice",
        "number",
        "status",
        "amount_display",
        "decline_code",
        "decline_category",
        "attempted_at",
        "payment_id_public",
    ]
    readonly_fields = fields
    ordering = ["attempted_at", "id"]
    verbose_name = "charge attempt"
    amount_display = money_display("amount", "amount")


class SubscriptionInline(_ReadOnlyInline):
    """The subscriptions of a customer, on the customer's page."""

    model = Subscription
    fk_name = "customer"
    fields = ["link", "status", "price", "current_period_end", "next_billing", "created"]
    readonly_fields = fields

    @admin.display(description="subscription")
    def link(self, obj):
        from django.urls import reverse
        from django.utils.html import format_html

        url = reverse("admin:billing_subscription_change", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, obj.public_id)

    @admin.display(description="next billing")
    def next_billing(self, obj):
        return short_datetime(obj.next_billing_at) if obj.next_billing_at else "—"


class CustomerInvoiceInline(InvoiceInline):
    fk_name = "customer"
    fields = ["subscription", *InvoiceInline.fields]
    readonly_fields = fields


def _run_each(model_admin, request, queryset, service, done: str, **kwargs) -> None:
    """Call ``service`` for each row the user manages; tell them what happened to each."""
    changed = 0
    for subscription in queryset.select_related("customer"):
        if not model_admin.can_manage_object(request, subscription):
            model_admin.message_user(
                request, f"{subscription.public_id}: not yours to change.", messages.ERROR
            )
            continue
        try:
            service(subscription=subscription, **kwargs)
            changed += 1
        except DomainError as err:
            model_admin.message_user(
                request, f"{subscription.public_id}: {err.message}", messages.ERROR
            )
    if changed:
        model_admin.message_user(request, f"{changed} subscription(s) {done}.", messages.SUCCESS)


@admin.register(Subscription)
class SubscriptionAdmin(MerchantScopedAdmin, admin.ModelAdmin):
    list_display = [
        "id_short",
        "customer_email",
        "product",
        "merchant_short",
        "status",
        "next_billing",
        "livemode",
        "created_short",
    ]
    list_filter = ["status", "livemode", "cancel_at_period_end"]
    platform_list_filter = ["merchant"]
    search_fields = ["=public_id", "customer__email", "=customer__public_id"]
    list_select_related = ["customer", "price", "merchant"]
    fields = [
        "public_id",
        "merchant",
        "livemode",
        "customer",
        "price",
        "payment_method",
        "status",
        "next_billing_at",
        "billing_cycle_anchor",
        "current_period_start",
        "current_period_end",
        "trial_end",
        "cancel_at_period_end",
        "canceled_at",
        "ended_at",
        "paused_at",
        "dunning_ends_at",
        "credit_balance",
        "started_at",
        "created",
    ]
    readonly_fields = fields
    inlines = [InvoiceInline, ChargeAttemptInline]
    actions = ["cancel_now", "cancel_at_period_end", "pause", "resume"]
    manager_actions = ("cancel_now", "cancel_at_period_end", "pause", "resume")

    def has_change_permission(self, request, obj=None):
        return False  # subscriptions change through the API and the actions

    def get_urls(self):
        report = self.admin_site.admin_view(self.dunning_report_view)
        return [
            path("dunning-report/", report, name="billing_subscription_dunning_report"),
            *super().get_urls(),
        ]

    @admin.display(description="id", ordering="public_id")
    def id_short(self, obj):
        return short_id(obj.public_id)

    @admin.display(description="customer", ordering="customer__email")
    def customer_email(self, obj):
        return short_text(obj.customer.email or obj.customer.public_id, 28)

    @admin.display(description="price")
    def product(self, obj):
        return str(obj.price)

    @admin.display(description="next billing", ordering="current_period_end")
    def next_billing(self, obj):
        return short_datetime(obj.next_billing_at) if obj.next_billing_at else "—"

    @admin.action(description="Cancel now (open invoices are voided)")
    @step_up_action("subscriptions.cancel", "Canceling the selected subscriptions now")
    def cancel_now(self, request, queryset):
        _run_each(self, request, queryset, services.subscription_cancel, "canceled")

    @admin.action(description="Cancel at the end of the period")
    @step_up_action("subscriptions.cancel", "Canceling the selected subscriptions at period end")
    def cancel_at_period_end(self, request, queryset):
        _run_each(
            self,
            request,
            queryset,
            services.subscription_cancel,
            "set to cancel at period end",
            at_period_end=True,
        )

    @admin.action(description="Pause billing")
    @step_up_action("subscriptions.pause", "Pausing the billing of the selected subscriptions")
    def pause(self, request, queryset):
        _run_each(self, request, queryset, services.subscription_pause, "paused")

    @admin.action(description="Resume billing (may charge at once)")
    @step_up_action("subscriptions.resume", "Resuming the selected subscriptions")
    def resume(self, request, queryset):
        _run_each(self, request, queryset, services.subscription_resume, "resumed")

    def dunning_report_view(self, request):
        """Recovered vs lost invoices by first decline code, and outcomes by attempt number."""
        context = {
            **self.admin_site.each_context(request),
            "title": "Dunning report",
            "opts": self.model._meta,
            **dunning_report(self.scope_queryset(request, Subscription.objects.all())),
        }
        return TemplateResponse(request, "admin/billing/dunning_report.html", context)


def dunning_report(subscriptions) -> dict:
    """Return the report's two tables for invoices of ``subscriptions`` that ever failed."""
    failed = ChargeAttempt.objects.filter(invoice=OuterRef("pk"), status="failed")
    first_code = failed.order_by("number").values("decline_code")[:1]
    invoices = Invoice.objects.filter(subscription__in=subscriptions).filter(Exists(failed))
    by_code = (
        invoices.annotate(code=Subquery(first_code))
        .values("code")
        .annotate(
            invoices=Count("pk"),
            recovered=Count("pk", filter=Q(status=Invoice.Status.PAID)),
            lost=Count("pk", filter=Q(status__in=[Invoice.Status.UNCOLLECTIBLE, "void"])),
            in_dunning=Count("pk", filter=Q(status=Invoice.Status.OPEN)),
        )
        .order_by("-invoices", "code")
    )
    attempts = ChargeAttempt.objects.filter(invoice__in=invoices)
    lost_after = dict(
        invoices.filter(status=Invoice.Status.UNCOLLECTIBLE)
        .values_list("attempt_count")
        .annotate(n=Count("pk"))
    )
    by_number = [
        {**row, "lost_after": lost_after.get(row["number"], 0)}
        for row in attempts.values("number")
        .annotate(
            tried=Count("pk"),
            recovered=Count("pk", filter=Q(status=ChargeAttempt.Status.SUCCEEDED)),
            failed=Count("pk", filter=Q(status=ChargeAttempt.Status.FAILED)),
        )
        .order_by("number")
    ]
    return {"by_code": list(by_code), "by_number": by_number}
