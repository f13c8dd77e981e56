from django.contrib import admin
from django.db.models import Sum

from ledger.models import JournalEntry, LedgerAccount, Posting


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

    @admin.display(description="balance (minor units, debit +)", ordering="balance_total")
    def balance(self, obj):
        return obj.balance_total or 0


class PostingInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Posting
    fields = ["account", "amount", "currency"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("account")


@admin.register(JournalEntry)
class JournalEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["pk", "kind", "reference", "description", "created"]
    list_filter = ["kind"]
    search_fields = ["reference", "idempotency_key"]
    date_hierarchy = "created"
    inlines = [PostingInline]
