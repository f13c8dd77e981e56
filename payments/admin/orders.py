"""Orders in the back office: the list, its CSV export, and the order page with its
payments, refunds and events."""

from __future__ import annotations

import csv

from django.contrib import admin, messages
from django.contrib.admin.exceptions import DisallowedModelAdminLookup
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.http import (
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.urls import path, reverse
from django_fsm import can_proceed

from backoffice.access import can_manage
from backoffice.admin_mixins import ModeListFilter, short_id, short_text
from backoffice.audit import audit_record
from backoffice.display import (
    badge,
    mode_display,
    money_text,
    status_badge,
    status_display,
    when_display,
    when_text,
)
from backoffice.step_up import step_up_action, step_up_page

from ..models import (
    Event,
    Order,
    Payment,
    Refund,
)
from ..services import (
    refunds_reserved,
)
from ..signals import order_page_sections
from .base import ScopedReadOnlyAdmin


class MethodFilter(admin.SimpleListFilter):
    title = "method"
    parameter_name = "method"

    def lookups(self, request, model_admin):
        return Payment.Method.choices

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(payments__method_type=self.value()).distinct()
        return queryset


CSV_COLUMNS = [
    "id",
    "reference",
    "merchant",
    "status",
    "amount",
    "currency",
    "amount_display",
    "customer_email",
    "created",
    "paid_at",
]


class _Echo:
    def write(self, value):
        return value


_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def _csv_text(value: str | None) -> str:
    """Text from merchants or shoppers, defused so a spreadsheet never runs it as a formula
    (as settlement.reports does; payments does not import settlement)."""
    value = value or ""
    return "'" + value if value.startswith(_FORMULA_PREFIXES) else value


@admin.register(Order)
class OrderAdmin(ScopedReadOnlyAdmin):
    # Key columns first: on a phone the table scrolls sideways inside its box.
    list_display = [
        "order_id",
        "amount_display",
        "status_badge",
        "mode",
        "reference_short",
        "customer_short",
        "merchant_short",
        "created_short",
    ]
    list_filter = [ModeListFilter, "status", ("created", admin.DateFieldListFilter), MethodFilter]
    platform_list_filter = ["merchant"]
    search_fields = [
        "reference",
        "=public_id",
        "customer_email",
        "=payments__public_id",
        "=payments__card_last4",
    ]
    search_help_text = "Reference, order or payment id, customer e-mail or card last 4."
    date_hierarchy = None
    list_select_related = ["merchant"]
    readonly_fields = [
        "public_id",
        "merchant",
        "reference",
        "status",
        "amount_display",
        "description",
        "customer_email",
        "capture_method",
        "livemode",
        "return_url",
        "metadata",
        "expires_at_when",
        "paid_at_when",
        "created_when",
        "updated_when",
    ]
    fields = readonly_fields
    # Times with their zone's name: staff in several zones read the same page.
    expires_at_when = when_display("expires_at", "expires at")
    paid_at_when = when_display("paid_at", "paid at")
    created_when = when_display("created", "created")
    updated_when = when_display("updated", "updated")
    change_form_template = "admin/payments/order/change_form.html"
    change_list_template = "admin/payments/order/change_list.html"
    actions = ["export_selected_csv"]

    status_badge = status_display()
    mode = mode_display()

    @admin.display(description="amount", ordering="amount")
    def amount_display(self, obj):
        return money_text(obj.amount, obj.currency)

    @admin.display(description="order", ordering="public_id")
    def order_id(self, obj):
        return short_id(obj.public_id)

    @admin.display(description="reference", ordering="reference")
    def reference_short(self, obj):
        return short_text(obj.reference, 20)

    @admin.display(description="customer e-mail", ordering="customer_email")
    def customer_short(self, obj):
        return short_text(obj.customer_email, 22)

    def get_urls(self):
        return [
            path(
                "export.csv",
                self.admin_site.admin_view(self.export_view),
                name="payments_order_export",
            ),
            *super().get_urls(),
        ]

    def export_view(self, request):
        """The change list as CSV: same filters, search and scope as the page.

        Customer e-mails leave the back office: the page asks for a fresh code first and sends
        the same address (filters and all) again with it.
        """
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            changelist = self.get_changelist_instance(request)
        except (IncorrectLookupParameters, DisallowedModelAdminLookup):
            self.message_user(
                request,
                "Nothing was exported: the filters in the address were not valid.",
                messages.ERROR,
            )
            return HttpResponseRedirect(reverse("admin:payments_order_changelist"))
        # Asked once the filters are known good: a refused export does not spend the code.
        page = step_up_page(request, self, action="orders.export", what="Exporting orders as CSV")
        if page is not None:
            return page
        queryset = changelist.get_queryset(request)
        audit_record(
            request=request,
            action="orders.exported",
            details={"filters": dict(request.GET.items()), "count": queryset.count()},
        )
        return self._csv_response(queryset)

    @admin.action(description="Export selected orders as CSV")
    @step_up_action("orders.export", "Exporting the selected orders as CSV")
    def export_selected_csv(self, request, queryset):
        # Customer e-mails leave the back office: recorded as the export of the list is.
        audit_record(
            request=request,
            action="orders.exported",
            details={"selected": True, "count": queryset.count()},
        )
        return self._csv_response(queryset)

    def _csv_response(self, queryset):
        writer = csv.writer(_Echo())

        def rows():
            yield writer.writerow(CSV_COLUMNS)
            for order in queryset.select_related("merchant").order_by("-created", "-id"):
                yield writer.writerow(
                    [
                        order.public_id,
                        _csv_text(order.reference),
                        _csv_text(order.merchant.name),
                        order.status,
                        order.amount,
                        order.currency,
                        # Files are read by programs too: one format whatever the language.
                        money_text(order.amount, order.currency, "en_US"),
                        _csv_text(order.customer_email),
                        order.created.isoformat(),
                        order.paid_at.isoformat() if order.paid_at else "",
                    ]
                )

        response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="orders.csv"'
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        order = self.get_object(request, object_id)
        if order is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        context = {"detail": order_detail(request, order)}
        context.update(extra_context or {})
        return super().change_view(request, object_id, form_url, context)


def order_detail(request, order: Order) -> dict:
    """Return what the order page shows under its fields: payments, refunds, events, and the
    sections other apps add (``payments.signals.order_page_sections``)."""
    payments = list(
        order.payments.prefetch_related("attempts", "otp_challenges", "refunds").order_by("created")
    )
    refunds = [r for p in payments for r in p.refunds.all()]
    object_ids = [
        order.public_id,
        *(p.public_id for p in payments),
        *(r.public_id for r in refunds),
    ]
    manager = can_manage(request.user, order.merchant_id)
    blocks = [payment_block(p, manager=manager) for p in payments]
    events = list(Event.objects.filter(object_id__in=object_ids).order_by("created", "id"))
    detail = {
        "payments": blocks,
        "refunds": [
            {
                "obj": r,
                "amount": money_text(r.amount, r.currency),
                "status": status_badge(r.status),
                "created": when_text(r.created),
            }
            for r in refunds
        ],
        "events": events,
        "timeline": [timeline_entry(e) for e in events],
        # The order's headline: what it is for, where it stands, and the one action most asked.
        "summary": {
            "amount": money_text(order.amount, order.currency),
            "status": status_badge(order.status, order.get_status_display()),
            "mode": badge("Live", "live") if order.livemode else badge("Test", "test"),
            "created": when_text(order.created),
            "paid": when_text(order.paid_at),
        },
        "refundable": next((b for b in reversed(blocks) if b["can_refund"]), None),
    }
    # Other apps' parts of the page (the webhook deliveries), rendered by them.
    sections = order_page_sections.send(
        sender=Order, request=request, order=order, object_ids=object_ids
    )
    detail["sections"] = [html for _receiver, html in sections if html]
    return detail


#: The tone of an event in the timeline, by the last word of its type.
_EVENT_TONES = {
    "succeeded": "success",
    "captured": "success",
    "paid": "success",
    "authorized": "info",
    "refunded": "info",
    "partially_refunded": "info",
    "created": "neutral",
    "requires_action": "warning",
    "declined": "danger",
    "failed": "danger",
    "canceled": "neutral",
    "expired": "neutral",
}


def timeline_entry(event: Event) -> dict:
    """Return one event of the order page's timeline: when (with its zone), what, of what."""
    subject, _, what = event.type.partition(".")
    return {
        "obj": event,
        "when": when_text(event.created),
        "label": f"{subject.replace('_', ' ').capitalize()} {what.replace('_', ' ')}".strip(),
        "tone": _EVENT_TONES.get(what.rsplit(".", 1)[-1], "neutral"),
    }


def payment_block(payment: Payment, *, manager: bool) -> dict:
    """Return one payment of the order page: its amounts, attempts, codes and the actions the
    user may take on it now."""
    p = payment
    # Pending refunds are reserved: the refund form offers only what is left after them.
    refundable = p.amount_captured - refunds_reserved(payment=p)
    return {
        "obj": p,
        "amount": money_text(p.amount, p.currency),
        "captured": money_text(p.amount_captured, p.currency),
        "refunded": money_text(p.amount_refunded, p.currency),
        "pending_refunds": pending_refunds(p),
        "refundable": money_text(max(refundable, 0), p.currency),
        "status": status_badge(p.status, p.get_status_display()),
        "attempts": list(p.attempts.all()),
        "otp": list(p.otp_challenges.all()),
        "can_refund": manager and can_proceed(p.refund_partially) and refundable > 0,
        "can_capture": manager and can_proceed(p.capture),
        "can_cancel": manager and can_proceed(p.void),
        "can_simulate": manager and not p.livemode and p.awaiting_transfer,
    }


def pending_refunds(payment: Payment) -> str:
    """Return the pending refunds of a payment as money ("" when there are none)."""
    pending = sum(r.amount for r in payment.refunds.all() if r.status == Refund.Status.PENDING)
    return money_text(pending, payment.currency) if pending else ""
