"""Payments in the back office: capture, cancel and (sandbox) a bank transfer's arrival."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import (
    Http404,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
)
from django.urls import NoReverseMatch, path, reverse
from django.utils.html import format_html

from backoffice.admin_mixins import ModeListFilter, short_id, short_text
from backoffice.audit import audit_record
from backoffice.display import mode_display, money_display, money_text, status_display

from ..errors import DomainError
from ..models import (
    Payment,
    PaymentAttempt,
)
from ..services import (
    bank_transfer_simulate,
    payment_cancel,
    payment_capture,
)
from .base import ScopedReadOnlyAdmin, merchant_scope
from .orders import order_detail
from .refunds import PaymentRefundMixin, RefundInline


class PaymentAttemptInline(admin.TabularInline):
    model = PaymentAttempt
    extra = 0
    can_delete = False
    fields = [
        "public_id",
        "method_type",
        "masked_details",
        "institution",
        "authenticated",
        "authentication_method",
        "outcome",
        "decline_code",
        "message",
        "started_at",
        "finished_at",
    ]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Payment)
class PaymentAdmin(PaymentRefundMixin, ScopedReadOnlyAdmin):
    # Key columns first: on a phone the table scrolls sideways inside its box.
    list_display = [
        "payment_id",
        "amount_display",
        "status_badge",
        "mode",
        "method",
        "order_reference",
        "decline",
        "merchant_short",
        "created_short",
    ]
    status_badge = status_display()
    mode = mode_display()
    list_filter = [
        ModeListFilter,
        "status",
        "method_type",
        "capture_method",
        ("created", admin.DateFieldListFilter),
    ]
    platform_list_filter = ["merchant"]
    search_fields = ["=public_id", "=order__public_id", "order__reference", "=card_last4"]
    list_select_related = ["order", "merchant"]
    exclude = ["card", "transfer", "wallet_phone"]
    inlines = [PaymentAttemptInline, RefundInline]
    change_form_template = "admin/payments/payment/change_form.html"
    actions = ["capture_selected", "cancel_selected"]
    manager_actions = ("capture_selected", "cancel_selected")

    @admin.display(description="amount", ordering="amount")
    def amount_display(self, obj):
        return money_text(obj.amount, obj.currency)

    # Minor-units fields are shown formatted in the payment's currency, in their place.
    MONEY_DISPLAYS = {
        "amount": "amount_display",
        "amount_authorized": "amount_authorized_display",
        "amount_captured": "amount_captured_display",
        "amount_refunded": "amount_refunded_display",
    }
    amount_authorized_display = money_display("amount_authorized", "amount authorized")
    amount_captured_display = money_display("amount_captured", "amount captured")
    amount_refunded_display = money_display("amount_refunded", "amount refunded")

    def get_fields(self, request, obj=None):
        return [
            *(
                self.MONEY_DISPLAYS.get(f.name, f.name)
                for f in self.model._meta.fields
                if f.name not in self.exclude and f.name != "id"
            ),
            "api_requests",
        ]

    @admin.display(description="API requests")
    def api_requests(self, obj):
        """A link to the request log's search for the payment's id (in the paths of the
        requests that touched it); the log's admin is the developers app's, known by URL name
        only, so payments imports nothing of it."""
        try:
            url = reverse("admin:developers_requestlog_changelist")
        except NoReverseMatch:
            return "-"
        return format_html('<a href="{}?q={}">Requests that touched it</a>', url, obj.public_id)

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    @admin.display(description="decline", ordering="decline_code")
    def decline(self, obj):
        return short_text(obj.decline_code, 18)

    @admin.display(description="method", ordering="method_type")
    def method(self, obj):
        return obj.masked_card or obj.get_method_type_display()

    @admin.display(description="payment", ordering="public_id")
    def payment_id(self, obj):
        return short_id(obj.public_id)

    @admin.display(description="order", ordering="order__reference")
    def order_reference(self, obj):
        return short_text(obj.order.reference, 20)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/refund/", view(self.refund_view), name="payments_payment_refund"
            ),
            path(
                "<path:object_id>/capture/",
                view(self.capture_view),
                name="payments_payment_capture",
            ),
            path(
                "<path:object_id>/cancel/", view(self.cancel_view), name="payments_payment_cancel"
            ),
            path(
                "<path:object_id>/simulate-transfer/",
                view(self.simulate_view),
                name="payments_payment_simulate",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        payment = self.get_object(request, object_id)
        context = {}
        if payment is not None:
            detail = order_detail(request, payment.order)
            context["payment_detail"] = next(
                p for p in detail["payments"] if p["obj"].pk == payment.pk
            )
        context.update(extra_context or {})
        return super().change_view(request, object_id, form_url, context)

    def _payment_for_action(self, request, object_id) -> Payment:
        """Return a visible payment the user manages, else 404 (not visible) or 403 (viewer)."""
        payment = self.get_object(request, object_id)
        if payment is None:
            raise Http404("No such payment.")
        if not self.can_manage_object(request, payment):
            raise PermissionDenied
        return payment

    def _back(self, payment):
        return HttpResponseRedirect(reverse("admin:payments_order_change", args=[payment.order_id]))

    def _capture(self, request, payment) -> bool:
        try:
            with transaction.atomic():
                payment_capture(
                    merchant=merchant_scope(request, payment), payment_id=payment.public_id
                )
                audit_record(
                    request=request,
                    action="payment.captured",
                    obj=payment,
                    details={"amount": payment.amount_authorized, "currency": payment.currency},
                )
        except DomainError as err:
            self.message_user(
                request, f"Payment {payment.public_id}: {err.message}", messages.ERROR
            )
            return False
        self.message_user(request, f"Payment {payment.public_id} captured.", messages.SUCCESS)
        return True

    def _cancel(self, request, payment) -> bool:
        try:
            with transaction.atomic():
                payment_cancel(
                    merchant=merchant_scope(request, payment), payment_id=payment.public_id
                )
                audit_record(request=request, action="payment.canceled", obj=payment)
        except DomainError as err:
            self.message_user(
                request, f"Payment {payment.public_id}: {err.message}", messages.ERROR
            )
            return False
        self.message_user(request, f"Payment {payment.public_id} canceled.", messages.SUCCESS)
        return True

    def capture_view(self, request, object_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        payment = self._payment_for_action(request, object_id)
        self._capture(request, payment)
        return self._back(payment)

    def cancel_view(self, request, object_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        payment = self._payment_for_action(request, object_id)
        self._cancel(request, payment)
        return self._back(payment)

    def simulate_view(self, request, object_id):
        """Sandbox: the shopper's bank transfer arrives for the full amount."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        payment = self._payment_for_action(request, object_id)
        if payment.livemode or not payment.transfer:
            self.message_user(
                request, "Only a sandbox bank transfer can be simulated.", messages.ERROR
            )
            return self._back(payment)
        if not payment.awaiting_transfer:
            # A second press: the sandbox ignores a repeat, so nothing arrives to record.
            self.message_user(
                request,
                f"Payment {payment.public_id} is {payment.status}; it is not waiting for a "
                "transfer, so none was simulated.",
                messages.WARNING,
            )
            return self._back(payment)
        try:
            result = bank_transfer_simulate(
                transfer_reference=payment.transfer["reference"], amount=payment.amount
            )
        except DomainError as err:
            self.message_user(
                request, f"Payment {payment.public_id}: {err.message}", messages.ERROR
            )
        else:
            audit_record(
                request=request,
                action="bank_transfer.simulated",
                obj=payment,
                details={"amount": payment.amount, "currency": payment.currency},
            )
            self.message_user(
                request,
                f"Transfer received; payment {payment.public_id} is {result.status}.",
                messages.SUCCESS,
            )
        return self._back(payment)

    @admin.action(description="Capture selected authorized payments")
    def capture_selected(self, request, queryset):
        for payment in queryset:
            if not self.can_manage_object(request, payment):
                self.message_user(
                    request,
                    f"Payment {payment.public_id}: only a manager may capture.",
                    messages.ERROR,
                )
                continue
            self._capture(request, payment)

    @admin.action(description="Cancel selected authorized payments")
    def cancel_selected(self, request, queryset):
        for payment in queryset:
            if not self.can_manage_object(request, payment):
                self.message_user(
                    request,
                    f"Payment {payment.public_id}: only a manager may cancel.",
                    messages.ERROR,
                )
                continue
            self._cancel(request, payment)
