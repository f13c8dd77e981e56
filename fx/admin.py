"""Back office of FX (read-only: services write every row): the ECB's fixings, merchants'
quotes and conversions (scoped to the user's merchants), and the platform's FX gain or loss on
refunds of converted payments."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Sum

from backoffice.admin_mixins import MerchantScopedAdmin, ReadOnlyAdminMixin
from backoffice.display import money_display, money_text

from .arithmetic import rate_text
from .models import Conversion, Quote, RateSnapshot, RefundConversion


@admin.register(RateSnapshot)
class RateSnapshotAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Reference rates are public data; loaded by ``manage.py fx_import``."""

    list_display = ["fixing_date", "base", "quote", "rate_display", "source", "fetched_at"]
    list_filter = ["source", "base", "quote"]
    date_hierarchy = "fixing_date"
    fields = ["source", "base", "quote", "rate", "fixing_date", "fetched_at"]
    readonly_fields = fields

    @admin.display(description="rate", ordering="rate")
    def rate_display(self, obj):
        return rate_text(obj.rate)


@admin.register(Quote)
class QuoteAdmin(MerchantScopedAdmin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "public_id",
        "merchant",
        "from_currency",
        "to_currency",
        "amount_display",
        "rate_display",
        "converted_display",
        "expires_at",
        "order",
    ]
    list_filter = ["from_currency", "to_currency", "lock", "livemode"]
    platform_list_filter = ["merchant"]
    search_fields = ["public_id", "order__public_id"]
    list_select_related = ["merchant", "order"]
    fields = [
        "public_id",
        "merchant",
        "livemode",
        "from_currency",
        "to_currency",
        "amount_display",
        "rate_display",
        "fixing_date",
        "source",
        "converted_display",
        "markup_bps",
        "markup_display",
        "lock",
        "expires_at",
        "order",
        "created",
    ]
    readonly_fields = fields

    amount_display = money_display("amount", "amount", "from_currency")
    converted_display = money_display("converted_amount", "converted", "to_currency")
    markup_display = money_display("markup_amount", "markup", "to_currency")

    @admin.display(description="rate", ordering="rate")
    def rate_display(self, obj):
        return rate_text(obj.rate)


@admin.register(Conversion)
class ConversionAdmin(MerchantScopedAdmin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "payment",
        "merchant",
        "presentment_display",
        "settlement_display",
        "rate_display",
        "fixing_date",
        "markup_display",
        "cross_border_display",
        "created",
    ]
    list_filter = ["presentment_currency", "settlement_currency", "stale", "card_country"]
    platform_list_filter = ["merchant"]
    search_fields = ["payment__public_id"]
    list_select_related = ["payment", "merchant"]
    fields = [
        "payment",
        "merchant",
        "presentment_display",
        "settlement_display",
        "rate_display",
        "fixing_date",
        "source",
        "stale",
        "quote",
        "markup_bps",
        "markup_display",
        "card_country",
        "cross_border_fee_bps",
        "cross_border_display",
        "created",
    ]
    readonly_fields = fields

    presentment_display = money_display("presentment_amount", "presentment", "presentment_currency")
    settlement_display = money_display("settlement_amount", "settlement", "settlement_currency")
    markup_display = money_display("markup_amount", "FX markup", "settlement_currency")
    cross_border_display = money_display(
        "cross_border_fee", "cross-border fee", "settlement_currency"
    )

    @admin.display(description="rate", ordering="rate")
    def rate_display(self, obj):
        return rate_text(obj.rate) if obj.converted else ""


@admin.register(RefundConversion)
class RefundConversionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Platform staff only (merchant staff hold no permission on it): the FX gain or loss of
    each refund of a converted payment, with the total per currency above the list."""

    list_display = [
        "refund",
        "settlement_display",
        "market_display",
        "gain_loss_display",
        "market_fixing_date",
        "created",
    ]
    list_filter = ["settlement_currency"]
    search_fields = ["refund__public_id", "conversion__payment__public_id"]
    list_select_related = ["refund", "conversion"]
    fields = [
        "refund",
        "conversion",
        "presentment_amount",
        "settlement_display",
        "market_rate",
        "market_fixing_date",
        "market_display",
        "gain_loss_display",
        "created",
    ]
    readonly_fields = fields

    settlement_display = money_display(
        "settlement_amount", "from the merchant", "settlement_currency"
    )
    market_display = money_display("market_amount", "to the shopper", "settlement_currency")

    @admin.display(description="FX gain (+) / loss (−)")
    def gain_loss_display(self, obj):
        return money_text(obj.gain_loss, obj.settlement_currency)

    def changelist_view(self, request, extra_context=None):
        totals = (
            RefundConversion.objects.values("settlement_currency")
            .annotate(book=Sum("settlement_amount"), market=Sum("market_amount"))
            .order_by("settlement_currency")
        )
        summary = ", ".join(
            money_text(row["book"] - row["market"], row["settlement_currency"]) for row in totals
        )
        extra_context = {**(extra_context or {}), "subtitle": f"FX gain/loss: {summary or '—'}"}
        return super().changelist_view(request, extra_context)
