"""Refunds in the back office: the list, and the refund page of a payment (fresh OTP)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.cache import cache
from django.template.response import TemplateResponse

from backoffice.admin_mixins import ModeListFilter, short_id, short_text
from backoffice.audit import audit_record
from backoffice.display import mode_display, money_display, money_text, status_display

from ..errors import DomainError, RefundAmountInvalid
from ..models import (
    Refund,
)
from ..money import exponent, to_major
from ..services import (
    refund_create,
)
from .base import ScopedReadOnlyAdmin, merchant_scope
from .forms import RefundForm
from .orders import pending_refunds


class RefundInline(admin.TabularInline):
    model = Refund
    extra = 0
    can_delete = False
    fields = ["public_id", "amount_display", "status", "reason", "created_by", "created"]
    readonly_fields = fields
    amount_display = money_display("amount", "amount")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Refund)
class RefundAdmin(ScopedReadOnlyAdmin):
    # Key columns first: on a phone the table scrolls sideways inside its box.
    list_display = [
        "refund_id",
        "amount_display",
        "status_badge",
        "mode",
        "payment_short",
        "reason_short",
        "created_by",
        "created_short",
    ]
    list_filter = [ModeListFilter, "status", ("created", admin.DateFieldListFilter)]
    status_badge = status_display()
    mode = mode_display()
    platform_list_filter = ["merchant"]
    search_fields = ["=public_id", "=payment__public_id", "payment__order__reference"]
    list_select_related = ["payment", "created_by"]
    readonly_fields = [
        "public_id",
        "payment",
        "merchant",
        "livemode",
        "amount_display",
        "reason",
        "status",
        "failure_code",
        "institution_reference",
        "created_by",
        "created",
        "processed_at",
    ]
    fields = readonly_fields
    amount_display = money_display("amount", "amount")

    @admin.display(description="refund", ordering="public_id")
    def refund_id(self, obj):
        return short_id(obj.public_id)

    @admin.display(description="payment", ordering="payment__public_id")
    def payment_short(self, obj):
        return short_id(obj.payment.public_id)

    @admin.display(description="reason")
    def reason_short(self, obj):
        return short_text(obj.reason, 32)


class PaymentRefundMixin:
    """The refund page of ``PaymentAdmin``: amount, reason and a fresh authenticator code.

    The form (amount, reason) is checked first: the one-time code is spent only by a request
    that can succeed, so a typo in the amount does not cost a TOTP window.
    """

    REFUND_SUBMISSION_TTL = 24 * 3600

    def refund_view(self, request, object_id):
        payment = self._payment_for_action(request, object_id)
        if request.method == "POST" and not self._submission_first(request):
            # A second press of Refund (or a resent form): its code would be refused as spent,
            # which would read as if nothing had been refunded.
            self.message_user(
                request,
                "This refund form was already sent; it was not sent again. The payment's "
                "refunds are listed below.",
                messages.WARNING,
            )
            return self._back(payment)
        form = RefundForm(request.POST or None, payment=payment)
        # A fresh code even in a verified session: a hijacked session cannot refund. The form
        # checks it last (backoffice.step_up), once the amount and reason would be accepted.
        form.step_up_request = request
        if request.method == "POST" and form.is_valid():
            refund = self._refund_submit(request, payment, form)
            if refund is not None:
                return self._back(payment)
        elif form.is_bound and "otp_token" in form.errors and len(form.errors) == 1:
            self.message_user(
                request, "Refund refused: the authenticator code was not accepted.", messages.ERROR
            )
        if form.is_bound:
            form.submission_renew()
        return self._refund_page(request, payment, form)

    def _refund_submit(self, request, payment, form):
        """Refund what the valid ``form`` asks; return the refund, or None with the reason on
        the form and in a message."""
        data = form.cleaned_data
        try:
            refund = refund_create(
                merchant=merchant_scope(request, payment),
                payment_id=payment.public_id,
                amount=data["amount"],
                reason=data["reason"],
                created_by=request.user,
            )
        except RefundAmountInvalid as err:
            # Another refund got in between the form's check and the service's lock.
            form.add_error("amount", form.refusal_text(err, data["amount"]))
            refundable = money_text(max(err.refundable, 0), payment.currency)
            self.message_user(
                request,
                "Refund refused: a refund must be more than 0 and at most the "
                f"refundable amount ({refundable}).",
                messages.ERROR,
            )
            return None
        except DomainError as err:
            self.message_user(request, f"Refund refused: {err.message}", messages.ERROR)
            return None
        audit_record(
            request=request,
            action="refund.created",
            obj=refund,
            details={
                "payment": payment.public_id,
                "amount": refund.amount,
                "currency": refund.currency,
                "reason": refund.reason,
            },
        )
        self.message_user(
            request,
            f"Refund {refund.public_id} of {money_text(refund.amount, refund.currency)} "
            f"created ({refund.status}).",
            messages.SUCCESS,
        )
        return refund

    def _refund_page(self, request, payment, form):
        preview = form.amount_to_refund()
        refundable = max(form.refundable, 0)
        if not str(form.data.get("amount", "")).strip():
            note = "(everything refundable: the amount field is empty)"
        elif preview is None:
            note = "(the amount entered is not one)"
        elif preview > refundable:
            note = f"(more than the refundable {money_text(refundable, payment.currency)}: it will be refused)"
        else:
            note = ""
        context = {
            # What the form as shown would refund; the page's script keeps it current as the
            # amount is typed (static/admin_extra/admin.js), with the same words.
            "preview": "" if preview is None else money_text(preview, payment.currency),
            "preview_note": note,
            "refundable_major": to_major(refundable, payment.currency),
            "currency_exponent": exponent(payment.currency),
            **self.admin_site.each_context(request),
            "title": f"Refund {payment.public_id}",
            "opts": self.model._meta,
            "payment": payment,
            "form": form,
            "captured": money_text(payment.amount_captured, payment.currency),
            "refunded": money_text(payment.amount_refunded, payment.currency),
            "pending_refunds": pending_refunds(payment),
            "refundable": money_text(max(form.refundable, 0), payment.currency),
        }
        return TemplateResponse(request, "admin/payments/payment/refund.html", context)

    def _submission_first(self, request) -> bool:
        """Return False if this rendering of the refund form was sent before (shared cache, so
        two presses on two web processes count too); a form without the value passes."""
        token = request.POST.get("submission", "")
        if not token:
            return True
        key = f"admin-refund-submission:{request.user.pk}:{token}"
        return cache.add(key, 1, timeout=self.REFUND_SUBMISSION_TTL)
