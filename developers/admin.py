"""The admin's developer section: the API requests of the staff's own merchants."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages

from backoffice.access import is_platform_staff, merchant_ids_for
from backoffice.admin_mixins import MerchantScopedAdmin
from backoffice.audit import audit_record
from backoffice.step_up import StepUpAdminMixin
from payments.admin_amounts import json_html
from payments.errors import ValidationFailed
from payments.models import Merchant

from . import signing
from .models import RequestLog, RequestSigningPolicy, SigningKey


@admin.register(RequestLog)
class RequestLogAdmin(MerchantScopedAdmin, admin.ModelAdmin):
    """Searchable by request id, path (an object's id is in it), error code and status."""

    list_display = [
        "created_short",
        "method",
        "path",
        "status",
        "code",
        "request_id",
        "replayed",
        "duration_ms",
    ]
    list_filter = ["status", "livemode", "method", "replayed"]
    platform_list_filter = ["merchant"]
    search_fields = ["=request_id", "path", "=code", "=status", "=idempotency_key"]
    date_hierarchy = "created"
    fields = [
        "created",
        "merchant",
        "livemode",
        "method",
        "path",
        "status",
        "code",
        "request_id",
        "idempotency_key",
        "replayed",
        "key_prefix",
        "duration_ms",
        "source_ip",
        "request_body_display",
        "response_body_display",
    ]
    readonly_fields = fields

    def has_change_permission(self, request, obj=None):
        return False  # a log is read, never edited

    @admin.display(description="Request body")
    def request_body_display(self, obj):
        return json_html(obj.request_body)

    @admin.display(description="Response body")
    def response_body_display(self, obj):
        return json_html(obj.response_body)


def _managed_merchants(request):
    if is_platform_staff(request.user):
        return Merchant.objects.all()
    return Merchant.objects.filter(pk__in=merchant_ids_for(request.user, role="manager"))


class SigningKeyForm(forms.ModelForm):
    public_key_pem = forms.CharField(
        label="Public key (PEM)",
        max_length=signing.MAX_PEM_CHARS,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 5, "cols": 66, "spellcheck": "false"}),
        help_text="-----BEGIN PUBLIC KEY----- ... of an Ed25519 or ECDSA P-256 key; never the "
        "private key.",
    )

    class Meta:
        model = SigningKey
        fields = ["merchant", "livemode", "name", "public_key_pem"]

    def clean_public_key_pem(self):
        try:
            signing.public_key_parse(self.cleaned_data["public_key_pem"])
        except ValidationFailed as exc:
            raise forms.ValidationError(exc.message) from None
        return self.cleaned_data["public_key_pem"]


@admin.register(SigningKey)
class SigningKeyAdmin(StepUpAdminMixin, MerchantScopedAdmin, admin.ModelAdmin):
    """Registering a key (which may then sign payouts) asks for a fresh code; revoking one
    (an action) only takes a power away and does not."""

    form = SigningKeyForm
    step_up_label = "signing_key"
    step_up_delete = False
    list_display = [
        "public_id",
        "name",
        "merchant_short",
        "livemode",
        "algorithm",
        "created_short",
        "revoked_at",
    ]
    list_filter = ["livemode", "algorithm"]
    platform_list_filter = ["merchant"]
    search_fields = ["=public_id", "name", "=fingerprint"]
    readonly_fields = ["public_id", "algorithm", "fingerprint", "created", "revoked_at"]
    actions = ["revoke"]
    manager_actions = ("revoke",)
    allow_add = True

    def has_add_permission(self, request):
        return _managed_merchants(request).exists()

    def has_change_permission(self, request, obj=None):
        return obj is None and _managed_merchants(request).exists()

    def get_fields(self, request, obj=None):
        if obj is not None:  # a key is never edited: shown, or revoked
            return [
                "public_id",
                "merchant",
                "livemode",
                "name",
                "algorithm",
                "fingerprint",
                "public_key_pem",
                "created",
                "revoked_at",
            ]
        return super().get_fields(request, obj)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if "merchant" in form.base_fields:
            form.base_fields["merchant"].queryset = _managed_merchants(request)
        return form

    def save_form(self, request, form, change):
        return form.instance  # saved by the service in save_model

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        key = signing.signing_key_create(
            merchant=data["merchant"],
            livemode=data["livemode"],
            public_key=data["public_key_pem"],
            name=data["name"],
        )
        obj.pk, obj.public_id = key.pk, key.public_id
        audit_record(
            request=request,
            action="signing_key.created",
            obj=key,
            merchant=key.merchant,
            details={"key": key.public_id, "algorithm": key.algorithm, "livemode": key.livemode},
        )

    def save_related(self, request, form, formsets, change):
        pass

    @admin.action(description="Revoke the selected signing keys")
    def revoke(self, request, queryset):
        revoked = 0
        for key in queryset.filter(revoked_at__isnull=True).select_related("merchant"):
            if not self.can_manage_object(request, key):
                continue
            signing.signing_key_revoke(key=key)
            audit_record(
                request=request,
                action="signing_key.revoked",
                obj=key,
                merchant=key.merchant,
                details={"key": key.public_id},
            )
            revoked += 1
        self.message_user(request, f"{revoked} signing key(s) revoked.", messages.SUCCESS)


class RequestSigningPolicyForm(forms.ModelForm):
    class Meta:
        model = RequestSigningPolicy
        fields = ["merchant", "require_signatures"]


@admin.register(RequestSigningPolicy)
class RequestSigningPolicyAdmin(StepUpAdminMixin, MerchantScopedAdmin, admin.ModelAdmin):
    """Requiring signatures, and lifting the requirement, ask for a fresh code."""

    form = RequestSigningPolicyForm
    step_up_label = "request_signing_policy"
    list_display = ["merchant", "require_signatures", "updated"]
    allow_add = True

    def has_add_permission(self, request):
        return _managed_merchants(request).exists()

    def has_change_permission(self, request, obj=None):
        if obj is None:
            return _managed_merchants(request).exists()
        return self.can_manage_object(request, obj)

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        return [*readonly, "merchant"] if obj is not None else readonly

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if "merchant" in form.base_fields:
            form.base_fields["merchant"].queryset = _managed_merchants(request)
        return form

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        audit_record(
            request=request,
            action="request_signing_policy.changed",
            obj=obj,
            merchant=obj.merchant,
            details={"require_signatures": obj.require_signatures},
        )
