"""Read-only admin of the sandbox books: cards shown by last four only."""

from decimal import Decimal

from babel.numbers import format_currency, get_currency_precision
from django.contrib import admin
from django.utils.translation import get_language, to_locale

from .models import (
    SandboxAccount,
    SandboxAuthorization,
    SandboxHold,
    SandboxMovement,
    SandboxTransfer,
)


def money(amount: int, currency: str) -> str:
    """Minor units as the staff member's language writes the amount: 1000 USD is "$10.00".

    The institutions import nothing of the product's, so they ask Babel (CLDR) for the
    currency's decimals directly, as a bank's own back office would.
    """
    major = Decimal(amount).scaleb(-get_currency_precision(currency))
    return format_currency(major, currency, locale=to_locale(get_language() or "en-us"))


def _amount_column(field: str, label: str):
    @admin.display(description=label, ordering=field)
    def column(self, obj):
        return money(getattr(obj, field), obj.currency)

    column.__name__ = f"{field}_display"
    return column


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
        "amount_display",
        "status",
        "amount_captured_display",
        "amount_refunded_display",
        "created_at",
    ]
    list_filter = ["status", "currency"]
    search_fields = ["reference", "institution_reference"]
    list_select_related = ["account"]
    amount_display = _amount_column("amount", "amount")
    amount_captured_display = _amount_column("amount_captured", "captured")
    amount_refunded_display = _amount_column("amount_refunded", "refunded")


@admin.register(SandboxTransfer)
class SandboxTransferAdmin(ReadOnlyAdmin):
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
    amount_display = _amount_column("amount", "amount")


@admin.register(SandboxMovement)
class SandboxMovementAdmin(ReadOnlyAdmin):
    list_display = ["id", "kind", "account", "hold", "transfer", "amount_display", "created_at"]
    list_filter = ["kind", "currency"]
    search_fields = ["reference"]
    list_select_related = ["account", "hold", "transfer"]
    amount_display = _amount_column("amount", "amount")


@admin.register(SandboxAuthorization)
class SandboxAuthorizationAdmin(ReadOnlyAdmin):
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
    amount_display = _amount_column("amount", "amount")
