"""Back office of invoicing, scoped to the user's merchants: invoices (with their lines, credit
notes and pay link), credit notes, customer balances (read-only: services write them) and each
merchant's invoicing details and reminder schedule (managers edit their own)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.utils.html import format_html

from backoffice.access import merchant_ids_for
from backoffice.admin_mixins import (
    MerchantScopedAdmin,
    ReadOnlyAdminMixin,
    short_datetime,
    short_id,
    short_text,
)
from backoffice.display import money_display
from billing.models import Invoice, InvoiceLine
from payments.errors import DomainError

from . import services
from .models import CreditNote, CustomerBalance, InvoicingProfile
from .services.reminders import AFTER_MAX, BEFORE_MAX


class InvoiceLineInline(admin.TabularInline):
    model = InvoiceLine
    extra = 0
    can_delete = False
    fields = ["description", "quantity", "unit_amount", "tax_rate_bps", "amount", "tax_amount"]
    readonly_fields = fields

    def has_view_permission(self, request, obj=None):
        return True  # shown within their invoice, which the invoice admin scopes

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class CreditNoteInline(InvoiceLineInline):
    model = CreditNote
    fields = ["number", "amount", "due_reduction", "refund_amount", "balance_amount", "reason"]
    readonly_fields = fields
    show_change_link = True


@admin.register(Invoice)
class InvoiceAdmin(MerchantScopedAdmin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "label",
        "merchant_short",
        "customer_short",
        "status",
        "total_display",
        "remaining_display",
        "due_date",
        "created_short",
    ]
    list_filter = ["status", "currency", "livemode", "collection_method"]
    platform_list_filter = ["merchant"]
    search_fields = ["=public_id", "=number", "customer__email", "customer__name"]
    list_select_related = ["merchant", "customer"]
    fields = [
        "public_id",
        "number",
        "status",
        "merchant",
        "livemode",
        "customer",
        "currency",
        "subtotal_display",
        "tax_display",
        "total_display",
        "paid_display",
        "remaining_display",
        "due_date",
        "memo",
        "footer",
        "pay_link",
        "finalized_at",
        "paid_at",
        "voided_at",
    ]
    readonly_fields = fields
    inlines = [InvoiceLineInline, CreditNoteInline]
    actions = ["send_to_customer"]
    manager_actions = ("send_to_customer",)

    subtotal_display = money_display("subtotal", "subtotal")
    tax_display = money_display("tax", "tax")
    total_display = money_display("total", "total")
    paid_display = money_display("amount_paid", "paid")
    remaining_display = money_display("amount_remaining", "due")

    @admin.display(description="invoice", ordering="number")
    def label(self, obj):
        return obj.number or short_id(obj.public_id)

    @admin.display(description="customer", ordering="customer__name")
    def customer_short(self, obj):
        return short_text(str(obj.customer), 24)

    @admin.display(description="pay link")
    def pay_link(self, obj):
        hosted = getattr(obj, "hosted", None)
        if hosted is None or obj.status == Invoice.Status.DRAFT:
            return "—"
        url = services.hosted_invoice_url(hosted)
        return format_html('<a href="{}" target="_blank" rel="noopener">Open the pay link</a>', url)

    @admin.action(description="Send the selected invoices to their customers")
    def send_to_customer(self, request, queryset):
        sent = 0
        for invoice in queryset.select_related("customer"):
            if not self.can_manage_object(request, invoice):
                continue
            try:
                services.invoice_send(invoice=invoice)
            except DomainError as err:
                label = invoice.number or invoice.public_id
                self.message_user(request, f"{label}: {err.message}", messages.ERROR)
            else:
                sent += 1
        if sent:
            self.message_user(request, f"{sent} invoice(s) sent.", messages.SUCCESS)


@admin.register(CreditNote)
class CreditNoteAdmin(MerchantScopedAdmin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["number", "merchant_short", "invoice", "amount_display", "reason", "created"]
    list_filter = ["reason", "currency", "livemode"]
    platform_list_filter = ["merchant"]
    search_fields = ["=public_id", "=number", "=invoice__number"]
    list_select_related = ["merchant", "invoice"]
    fields = [
        "public_id",
        "number",
        "merchant",
        "invoice",
        "amount_display",
        "due_reduction",
        "refund_amount",
        "balance_amount",
        "refunds",
        "reason",
        "memo",
        "created",
    ]
    readonly_fields = fields

    amount_display = money_display("amount", "amount")


@admin.register(CustomerBalance)
class CustomerBalanceAdmin(MerchantScopedAdmin, ReadOnlyAdminMixin, admin.ModelAdmin):
    merchant_lookup = "customer__merchant"
    merchant_columns = ("merchant_of_customer",)
    list_display = ["customer", "merchant_of_customer", "amount_display", "updated"]
    list_filter = ["currency"]
    search_fields = ["=customer__public_id", "customer__email"]
    list_select_related = ["customer__merchant"]

    amount_display = money_display("amount", "credit balance")

    @admin.display(description="merchant")
    def merchant_of_customer(self, obj):
        return short_text(str(obj.customer.merchant), 20)

    @admin.display(description="updated", ordering="updated")
    def updated_short(self, obj):
        return short_datetime(obj.updated)


def _iban_valid(iban: str) -> bool:
    """ISO 13616: two letters, two check digits, up to 30 letters or digits, mod 97 == 1."""
    if not 15 <= len(iban) <= 34 or not iban[:2].isalpha() or not iban[2:4].isdigit():
        return False
    if not iban.isalnum() or not iban.isascii():
        return False
    digits = "".join(str(int(c, 36)) for c in iban[4:] + iban[:4])
    return int(digits) % 97 == 1


class InvoicingProfileForm(forms.ModelForm):
    class Meta:
        model = InvoicingProfile
        fields = [
            "merchant",
            "legal_name",
            "address",
            "tax_id",
            "email",
            "iban",
            "bic",
            "reminder_days_before",
            "reminder_days_after",
        ]

    def _days(self, name: str, limit: int) -> list[int]:
        value = self.cleaned_data.get(name)
        if not isinstance(value, list) or not all(
            isinstance(d, int) and not isinstance(d, bool) and 1 <= d <= limit for d in value
        ):
            raise forms.ValidationError(f"A list of whole days from 1 to {limit}, e.g. [7, 1].")
        return sorted(set(value))

    def clean_reminder_days_before(self):
        return self._days("reminder_days_before", BEFORE_MAX)

    def clean_reminder_days_after(self):
        return self._days("reminder_days_after", AFTER_MAX)

    def clean_iban(self):
        iban = self.cleaned_data.get("iban", "").replace(" ", "").upper()
        if iban and not _iban_valid(iban):
            raise forms.ValidationError("This is not a valid IBAN.")
        return iban

    def clean_bic(self):
        bic = self.cleaned_data.get("bic", "").replace(" ", "").upper()
        if bic and (len(bic) not in (8, 11) or not bic.isalnum()):
            raise forms.ValidationError("A BIC has 8 or 11 letters and digits.")
        return bic


@admin.register(InvoicingProfile)
class InvoicingProfileAdmin(MerchantScopedAdmin, admin.ModelAdmin):
    """A merchant's details on its invoices; its managers keep them."""

    form = InvoicingProfileForm
    allow_add = True
    list_display = ["merchant", "legal_name", "email", "iban"]
    platform_list_filter = ["merchant"]

    def has_add_permission(self, request, *args, **kwargs):
        # Managers of a merchant, not only holders of Django's add permission.
        return merchant_ids_for(request.user, role="manager") != []

    def has_change_permission(self, request, obj=None):
        if obj is None:
            return self.has_add_permission(request)
        return self.can_manage_object(request, obj)

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        return [*readonly, "merchant"] if obj is not None else readonly
