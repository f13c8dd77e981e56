from decimal import Decimal

from babel.numbers import format_currency, get_currency_precision
from django.contrib import admin
from django.db.models import Sum
from django.utils.translation import get_language, to_locale

from ledger.models import JournalEntry, LedgerAccount, Posting


def money(amount: int, currency: str) -> str:
    """Minor units as the staff member's language writes the amount: 1000 USD is "$10.00".

    The ledger imports nothing of the product's, so it asks Babel (CLDR) for the currency's
    decimals directly; payments.money checks its own table agrees with CLDR.
    """
    major = Decimal(amount).scaleb(-get_currency_precision(currency))
    return format_currency(major, currency, locale=to_locale(get_language() or "en-us"))


class ReadOnlyAdminMixin:
    """The ledger is written by services only; the admin shows it."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(LedgerAccount)
class LedgerAccountAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["owner", "kind", "currency", "balance"]
    list_filter = ["kind", "currency"]
    search_fields = ["owner"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(balance_total=Sum("postings__amount"))

    @admin.display(description="balance (debit +)", ordering="balance_total")
    def balance(self, obj):
        return money(obj.balance_total or 0, obj.currency)


class PostingInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Posting
    fields = ["account", "debit_credit", "minor_units"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("account")

    @admin.display(description="amount (debit +)")
    def debit_credit(self, obj):
        return money(obj.amount, obj.currency)

    @admin.display(description="minor units")
    def minor_units(self, obj):
        return obj.amount


@admin.register(JournalEntry)
class JournalEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["pk", "kind", "reference", "description", "created"]
    list_filter = ["kind"]
    search_fields = ["reference", "idempotency_key"]
    date_hierarchy = "created"
    inlines = [PostingInline]
