"""Read-only admin of the sandbox books: cards shown by last four only."""

from django.contrib import admin

from .models import (
    SandboxAccount,
    SandboxAuthorization,
    SandboxHold,
    SandboxMovement,
    SandboxTransfer,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """The sandbox institutions decide for themselves: staff look, never edit."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SandboxAccount)
class SandboxAccountAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
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
    search_fields = ["last4", "label", "phone"]
    # The fingerprint is left out: it identifies a PAN and helps no one reading the page.
    fields = [
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
class SandboxHoldAdmin(ReadOnlyAdmin):
    list_display = [
        "institution_reference",
        "reference",
        "account",
        "amount",
        "currency",
        "status",
        "amount_captured",
        "amount_refunded",
        "created_at",
    ]
    list_filter = ["status", "currency"]
    search_fields = ["reference", "institution_reference"]
    list_select_related = ["account"]


@admin.register(SandboxTransfer)
class SandboxTransferAdmin(ReadOnlyAdmin):
    list_display = [
        "transfer_reference",
        "reference",
        "account_number",
        "amount",
        "currency",
        "status",
        "expires_at",
        "received_at",
    ]
    list_filter = ["status", "currency"]
    search_fields = ["reference", "transfer_reference", "institution_reference"]


@admin.register(SandboxMovement)
class SandboxMovementAdmin(ReadOnlyAdmin):
    list_display = ["id", "kind", "account", "hold", "transfer", "amount", "currency", "created_at"]
    list_filter = ["kind", "currency"]
    search_fields = ["reference"]
    list_select_related = ["account", "hold", "transfer"]


@admin.register(SandboxAuthorization)
class SandboxAuthorizationAdmin(ReadOnlyAdmin):
    list_display = [
        "reference",
        "institution",
        "method_type",
        "amount",
        "currency",
        "decision",
        "decline_code",
        "authenticated",
        "created_at",
    ]
    list_filter = ["institution", "decision", "decline_code"]
    search_fields = ["reference"]
    exclude = ["challenge_destination"]
