"""Merchants, their staff memberships and API keys in the back office."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import (
    HttpResponseRedirect,
)
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from backoffice.access import can_manage, is_platform_staff, merchant_ids_for
from backoffice.admin_mixins import MerchantScopedAdmin
from backoffice.audit import audit_record
from backoffice.display import money_text
from backoffice.step_up import StepUpAdminMixin

from ..models import (
    ApiKey,
    Merchant,
    MerchantFixedFee,
    MerchantMembership,
)
from ..money import CURRENCIES, fixed_fee_default
from ..services import (
    api_key_create,
    api_key_revoke,
    merchant_create,
    merchant_fixed_fee_set,
    sandbox_reset,
    staff_membership_grant,
)
from ..vault import secret_decrypt, secret_encrypt
from .base import ScopedReadOnlyAdmin
from .forms import ApiKeyCreateForm, MembershipForm, MerchantFixedFeeForm, MerchantForm


@admin.register(Merchant)
class MerchantAdmin(MerchantScopedAdmin, admin.ModelAdmin):
    merchant_lookup = "pk"
    form = MerchantForm
    list_display = [
        "name",
        "public_id",
        "country",
        "default_currency",
        "live_enabled",
        "created_short",
    ]
    search_fields = ["name", "public_id"]
    actions = ["sandbox_reset_action"]
    manager_actions = ("sandbox_reset_action",)
    readonly_fields = [
        "public_id",
        "fee_bps",
        "fixed_fees_display",
        "live_enabled",
        "is_demo",
        "created",
    ]

    @admin.display(description="fee fixed")
    def fixed_fees_display(self, obj):
        # Charged in each payment's currency, in that currency's minor units: the default
        # currency's first, then every other currency's (the merchant's own marked so).
        if obj.pk is None:
            return ""
        own = {fee.currency: fee.amount for fee in obj.fixed_fees.all()}

        def fee(code):
            mark = " (own)" if code in own else ""
            return money_text(own.get(code, fixed_fee_default(code)), code), mark

        others = ((code, *fee(code)) for code in sorted(CURRENCIES) if code != obj.default_currency)
        return format_html(
            "{}{} per payment in {}; in other currencies: {}",
            *fee(obj.default_currency),
            obj.default_currency,
            format_html_join(", ", "{}&nbsp;{}{}", others),
        )

    @admin.action(description="Reset the test-mode sandbox to its published balances")
    def sandbox_reset_action(self, request, queryset):
        for merchant in queryset:
            if not can_manage(request.user, merchant.pk):
                self.message_user(
                    request,
                    f"{merchant}: only a manager may reset the sandbox.",
                    messages.ERROR,
                )
                continue
            done = sandbox_reset(merchant=merchant)
            audit_record(
                request=request,
                action="sandbox.reset",
                obj=merchant,
                merchant=merchant,
                details={
                    "payments_canceled": done.payments_canceled,
                    "holds_released": done.holds_released,
                },
            )
            self.message_user(
                request,
                f"{merchant}: sandbox reset; {done.payments_canceled} authorized test payment(s) "
                f"canceled, {done.holds_released} hold(s) released.",
                messages.SUCCESS,
            )

    def has_add_permission(self, request):
        return is_platform_staff(request.user) and super(
            MerchantScopedAdmin, self
        ).has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        return is_platform_staff(request.user) and super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            action = "merchant.changed"
        else:
            created = merchant_create(**form.cleaned_data)
            obj.pk, obj.public_id = created.pk, created.public_id
            action = "merchant.created"
        audit_record(
            request=request,
            action=action,
            obj=obj,
            merchant=obj,
            details={"changed": form.changed_data},
        )


@admin.register(MerchantFixedFee)
class MerchantFixedFeeAdmin(MerchantScopedAdmin, admin.ModelAdmin):
    """A merchant's own fixed fee in a currency; a currency without one pays the default."""

    form = MerchantFixedFeeForm
    list_display = ["merchant", "currency", "amount_display"]
    list_filter = ["currency"]
    search_fields = ["merchant__name", "merchant__public_id"]
    autocomplete_fields = ["merchant"]
    allow_add = True
    allow_delete = True

    @admin.display(description="fixed fee per payment", ordering="amount")
    def amount_display(self, obj):
        return money_text(obj.amount, obj.currency)

    def has_module_permission(self, request):
        return is_platform_staff(request.user)

    def has_view_permission(self, request, obj=None):
        return is_platform_staff(request.user)

    def has_add_permission(self, request):
        return is_platform_staff(request.user)

    def has_change_permission(self, request, obj=None):
        return is_platform_staff(request.user)

    def has_delete_permission(self, request, obj=None):
        return is_platform_staff(request.user)

    def get_readonly_fields(self, request, obj=None):
        # The amount is what is edited here: not read-only like the money of other pages.
        return ["merchant", "currency"] if obj is not None else []

    def save_model(self, request, obj, form, change):
        fee = merchant_fixed_fee_set(
            merchant=obj.merchant, currency=obj.currency, amount=obj.amount
        )
        obj.pk = fee.pk
        self._audit(request, obj, obj.amount)

    def delete_model(self, request, obj):
        merchant_fixed_fee_set(merchant=obj.merchant, currency=obj.currency, amount=None)
        self._audit(request, obj, None)

    def delete_queryset(self, request, queryset):
        for obj in queryset.select_related("merchant"):
            self.delete_model(request, obj)

    def _audit(self, request, obj, amount):
        audit_record(
            request=request,
            action="merchant.fixed_fee_changed",
            obj=obj.merchant,
            merchant=obj.merchant,
            details={"currency": obj.currency, "amount": amount},
        )


@admin.register(MerchantMembership)
class MerchantMembershipAdmin(StepUpAdminMixin, MerchantScopedAdmin, admin.ModelAdmin):
    """Granting, changing and revoking access ask for a fresh code: access is what a hijacked
    session would grant itself first."""

    form = MembershipForm
    step_up_label = "membership"
    list_display = ["user", "merchant", "role"]
    list_filter = ["role"]
    platform_list_filter = ["merchant"]
    search_fields = ["user__username", "user__email", "merchant__name"]
    autocomplete_fields = ["merchant"]
    allow_add = True
    allow_delete = True

    def has_module_permission(self, request):
        return is_platform_staff(request.user)

    def has_view_permission(self, request, obj=None):
        return is_platform_staff(request.user)

    def has_add_permission(self, request):
        return is_platform_staff(request.user)

    def has_change_permission(self, request, obj=None):
        return is_platform_staff(request.user)

    def has_delete_permission(self, request, obj=None):
        return is_platform_staff(request.user)

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            # A membership changes its role only: granting another merchant here would keep
            # the old membership (and its access) while the page said "changed".
            readonly += ["user", "merchant"]
        return readonly

    def save_model(self, request, obj, form, change):
        membership = staff_membership_grant(user=obj.user, merchant=obj.merchant, role=obj.role)
        obj.pk = membership.pk
        audit_record(
            request=request,
            action="membership.changed" if change else "membership.granted",
            obj=membership,
            merchant=obj.merchant,
            details={"user": obj.user.get_username(), "role": obj.role},
        )

    def delete_model(self, request, obj):
        audit_record(
            request=request,
            action="membership.revoked",
            obj=obj,
            merchant=obj.merchant,
            details={"user": obj.user.get_username(), "role": obj.role},
        )
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)


@admin.register(ApiKey)
class ApiKeyAdmin(ScopedReadOnlyAdmin):
    list_display = [
        "prefix",
        "name",
        "merchant",
        "livemode",
        "active",
        "created_short",
        "last_used_at",
    ]
    list_filter = ["livemode", ("revoked_at", admin.EmptyFieldListFilter)]
    platform_list_filter = ["merchant"]
    search_fields = ["prefix", "name", "public_id"]
    readonly_fields = ["public_id", "merchant", "name", "livemode", "prefix", "created"]
    fields = readonly_fields + ["last_used_at", "revoked_at"]
    actions = ["revoke_keys"]
    manager_actions = ("revoke_keys",)

    @admin.display(boolean=True)
    def active(self, obj):
        return obj.is_active

    def _managed_merchants(self, request):
        if is_platform_staff(request.user):
            return Merchant.objects.all()
        ids = merchant_ids_for(request.user, role="manager")
        return Merchant.objects.filter(pk__in=ids)

    def has_add_permission(self, request):
        return self._managed_merchants(request).exists()

    def get_urls(self):
        return [
            path(
                "created/",
                self.admin_site.admin_view(self.created_view),
                name="payments_apikey_created",
            ),
            *super().get_urls(),
        ]

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        merchants = self._managed_merchants(request)
        initial = {}
        if len(only := list(merchants[:2])) == 1:
            initial["merchant"] = only[0].pk
        form = ApiKeyCreateForm(request.POST or None, merchants=merchants, initial=initial)
        form.step_up_request = request
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            key, raw = api_key_create(
                merchant=data["merchant"], livemode=data["livemode"], name=data["name"]
            )
            audit_record(
                request=request,
                action="api_key.created",
                obj=key,
                details={"prefix": key.prefix, "livemode": key.livemode},
            )
            # POST/redirect/GET: a reload of the result must not create a second key. The raw
            # key waits in the session (a database row) for the one page that shows it,
            # encrypted as webhook secrets are.
            request.session[self.CREATED_SESSION_KEY] = {
                "key": key.pk,
                "raw": secret_encrypt(raw, context=self._created_context(key)),
            }
            return HttpResponseRedirect(reverse("admin:payments_apikey_created"))
        context = {
            **self.admin_site.each_context(request),
            "title": "Create API key",
            "opts": self.model._meta,
            "form": form,
            "raw_key": None,
        }
        response = TemplateResponse(request, "admin/payments/apikey/create.html", context)
        response["Cache-Control"] = "no-store"
        return response

    CREATED_SESSION_KEY = "payments_apikey_created"

    @staticmethod
    def _created_context(key) -> str:
        return f"api-key-created:{key.public_id}"

    def created_view(self, request):
        """Show a key just created, once: the session forgets it as it is shown."""
        created = request.session.pop(self.CREATED_SESSION_KEY, None)
        key = None
        if created is not None:
            key = self.get_queryset(request).filter(pk=created["key"]).first()
        if key is None:
            self.message_user(
                request,
                "A new API key is shown only once. Create another if it was not copied.",
                messages.WARNING,
            )
            return HttpResponseRedirect(reverse("admin:payments_apikey_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "title": "API key created",
            "opts": self.model._meta,
            "raw_key": secret_decrypt(created["raw"], context=self._created_context(key)),
            "key": key,
        }
        response = TemplateResponse(request, "admin/payments/apikey/create.html", context)
        response["Cache-Control"] = "no-store"
        return response

    @admin.action(description="Revoke selected API keys")
    def revoke_keys(self, request, queryset):
        done = 0
        for key in queryset.select_related("merchant"):
            if not can_manage(request.user, key.merchant_id):
                self.message_user(
                    request, f"Only a manager may revoke API key {key.prefix}….", messages.ERROR
                )
                continue
            if key.revoked_at is not None:
                self.message_user(
                    request, f"API key {key.prefix}… was already revoked.", messages.WARNING
                )
                continue
            api_key_revoke(key=key)
            audit_record(
                request=request,
                action="api_key.revoked",
                obj=key,
                details={"prefix": key.prefix},
            )
            done += 1
        if done:
            self.message_user(request, f"Revoked {done} API key(s).", messages.SUCCESS)
