"""Read-only admin of the sandbox books: cards shown by last four only."""

from django.contrib import admin

from backoffice.admin_mixins import ReadOnlyAdminMixin
from backoffice.display import money_display

from .models import (
    SandboxAccount,
    SandboxAuthorization,
    SandboxHold,
    SandboxMovement,
    SandboxTransfer,
)


@admin.register(SandboxAccount)
class SandboxAccountAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "id",
        "owner",
        "institution",
        "kind",
        "masked",
        "label",
        "card_type",
        "status",
        "verification",
        "behaviour",
        "funds_major",
    ]
    list_filter = ["institution", "kind", "status", "card_type"]
    search_fields = ["last4", "label", "phone", "owner__key"]
    list_select_related = ["owner"]
    # The fingerprint is left out: it identifies a PAN and helps no one reading the page.
    fields = [
        "owner",
        "institution",
        "kind",
        "label",
        "brand",
        "card_type",
        "last4",
        "phone",
        "status",
        "verification",
        "behaviour",
        "funds_major",
        "created_at",
    ]

    @admin.display(description="account")
    def masked(self, obj):
        if obj.kind == SandboxAccount.Kind.WALLET:
            return obj.phone
        return f"•••• {obj.last4}"


@admin.register(SandboxHold)
class SandboxHoldAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "institution_reference",
        "reference",
        "account",
        "amount_display",
        "status",
        "amount_captured_display",
        "amount_refunded_display",
        "created_at",
    ]
    list_filter = ["status", "currency"]
    search_fields = ["reference", "institution_reference"]
    list_select_related = ["account"]
    amount_display = money_display("amount", "amount")
    amount_captured_display = money_display("amount_captured", "captured")
    amount_refunded_display = money_display("amount_refunded", "refunded")


@admin.register(SandboxTransfer)
class SandboxTransferAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "transfer_reference",
        "reference",
        "account_number",
        "amount_display",
        "status",
        "expires_at",
        "received_at",
    ]
    list_filter = ["status", "currency"]
    search_fields = ["reference", "transfer_reference", "institution_reference"]
    amount_display = money_display("amount", "amount")


@admin.register(SandboxMovement)
class SandboxMovementAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["id", "kind", "account", "hold", "transfer", "amount_display", "created_at"]
    list_filter = ["kind", "currency"]
    search_fields = ["reference"]
    list_select_related = ["account", "hold", "transfer"]
    amount_display = money_display("amount", "amount")


@admin.register(SandboxAuthorization)
class SandboxAuthorizationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "reference",
        "institution",
        "method_type",
        "amount_display",
        "decision",
        "decline_code",
        "authenticated",
        "created_at",
    ]
    list_filter = ["institution", "decision", "decline_code"]
    search_fields = ["reference"]
    exclude = ["challenge_destination"]
    amount_display = money_display("amount", "amount")
