"""The ledger in the back office: written by services only, shown read-only."""

from django.contrib import admin
from django.db.models import Sum

from backoffice.admin_mixins import ReadOnlyAdminMixin
from backoffice.display import money_text
from ledger.models import JournalEntry, LedgerAccount, Posting


@admin.register(LedgerAccount)
class LedgerAccountAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["owner", "kind", "currency", "balance"]
    list_filter = ["kind", "currency"]
    search_fields = ["owner"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(balance_total=Sum("postings__amount"))

    @admin.display(description="balance (debit +)", ordering="balance_total")
    def balance(self, obj):
        return money_text(obj.balance_total or 0, obj.currency)


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
        return money_text(obj.amount, obj.currency)

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
