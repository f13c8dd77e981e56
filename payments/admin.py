"""The back office's payment pages: scoped to the user's merchants, changed only by services.

Merchant staff see their own merchants' records; platform staff see all. Refunds ask for a fresh
code from the staff member's authenticator; every change is written to the audit log.
"""

from __future__ import annotations

import csv
import importlib.util
import secrets

from django import forms
from django.apps import apps
from django.contrib import admin, messages
from django.contrib.admin.exceptions import DisallowedModelAdminLookup
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import (
    Http404,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django_fsm import can_proceed
from django_otp import match_token

from backoffice.access import can_manage, is_platform_staff, merchant_ids_for
from backoffice.admin_mixins import MerchantScopedAdmin, short_id, short_text
from backoffice.audit import audit_record

from .admin_amounts import amounts_html, json_html
from .errors import DomainError, RefundAmountInvalid
from .models import (
    ApiKey,
    Event,
    Merchant,
    MerchantMembership,
    Order,
    OutboxMessage,
    Payment,
    PaymentAttempt,
    Refund,
)
from .money import CURRENCIES, active_locale, format_amount, to_major, to_minor
from .services import (
    api_key_create,
    api_key_revoke,
    bank_transfer_simulate,
    merchant_create,
    payment_cancel,
    payment_capture,
    refund_check,
    refund_create,
    refunds_reserved,
    staff_membership_grant,
)
from .vault import secret_decrypt, secret_encrypt


def _money(amount, currency, locale=None):
    """The amount as the staff member's language writes it (Accept-Language, see LANGUAGES)."""
    if amount is None or not currency:
        return ""
    return format_amount(amount, currency, locale or active_locale())


def money_display(field: str, description: str, currency_field: str = "currency"):
    """Return an admin display of a minor-units field, formatted in the object's currency."""

    @admin.display(description=description, ordering=field)
    def display(self, obj):
        return _money(getattr(obj, field), getattr(obj, currency_field))

    display.__name__ = f"{field}_display"
    return display


def _merchant_arg(request, obj):
    """Services take the merchant for merchant staff (their scope) and None for platform staff."""
    return None if is_platform_staff(request.user) else obj.merchant


class ReadOnlyAdmin(MerchantScopedAdmin, admin.ModelAdmin):
    """Rows written by services only: every field shown, none editable."""

    def has_change_permission(self, request, obj=None):
        return False


# --- merchants and memberships ------------------------------------------------------------


# CLDR's two-letter regions that are no country (unknown, unions, pseudo-locales).
_NOT_COUNTRIES = {"EU", "EZ", "QO", "UN", "XA", "XB", "ZZ"}


def _country_codes() -> frozenset[str]:
    from babel import Locale

    territories = Locale("en").territories
    return frozenset(c for c in territories if c.isalpha() and c not in _NOT_COUNTRIES)


class MerchantForm(forms.ModelForm):
    """What merchant_create checks, beside each field: the database's constraints alone would
    answer with a constraint's name, or not at all (a currency that is not in the table)."""

    default_currency = forms.ChoiceField(choices=[(c, c) for c in sorted(CURRENCIES)])
    settlement_delay_days = forms.IntegerField(
        min_value=1,
        max_value=3,
        help_text="Payout this many business days after the cut-off (1-3).",
    )

    class Meta:
        model = Merchant
        fields = ["name", "country", "default_currency", "settlement_delay_days"]

    def clean_country(self):
        code = self.cleaned_data["country"].strip().upper()
        if code not in _country_codes():
            raise forms.ValidationError("Enter an ISO 3166 country code, such as US or DE.")
        return code


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
    readonly_fields = [
        "public_id",
        "fee_bps",
        "fee_fixed_display",
        "live_enabled",
        "is_demo",
        "created",
    ]

    @admin.display(description="fee fixed")
    def fee_fixed_display(self, obj):
        # Charged in each payment's currency; shown in the merchant's default one.
        if obj.pk is None:
            return ""
        return f"{_money(obj.fee_fixed, obj.default_currency)} per payment"

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


class MembershipForm(forms.ModelForm):
    class Meta:
        model = MerchantMembership
        fields = ["user", "merchant", "role"]


@admin.register(MerchantMembership)
class MerchantMembershipAdmin(MerchantScopedAdmin, admin.ModelAdmin):
    form = MembershipForm
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


# --- API keys -------------------------------------------------------------------------------


class ApiKeyCreateForm(forms.Form):
    required_css_class = "required"
    merchant = forms.ModelChoiceField(queryset=Merchant.objects.none())
    name = forms.CharField(max_length=100, required=False)
    livemode = forms.BooleanField(required=False, label="Live mode key")

    def __init__(self, *args, merchants, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["merchant"].queryset = merchants

    def clean(self):
        data = super().clean()
        merchant = data.get("merchant")
        if data.get("livemode") and merchant is not None and not merchant.live_enabled:
            # The API refuses a live key of such a merchant: it would be created to fail.
            self.add_error(
                "livemode",
                f"{merchant.name} is not enabled for live payments yet, so a live key would "
                "be refused. Create a test key, or ask platform staff to enable live mode.",
            )
        return data


@admin.register(ApiKey)
class ApiKeyAdmin(ReadOnlyAdmin):
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


# --- orders ---------------------------------------------------------------------------------


class MethodFilter(admin.SimpleListFilter):
    title = "method"
    parameter_name = "method"

    def lookups(self, request, model_admin):
        return Payment.Method.choices

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(payments__method_type=self.value()).distinct()
        return queryset


CSV_COLUMNS = [
    "id",
    "reference",
    "merchant",
    "status",
    "amount",
    "currency",
    "amount_display",
    "customer_email",
    "created",
    "paid_at",
]


class _Echo:
    def write(self, value):
        return value


_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def _csv_text(value: str | None) -> str:
    """Text from merchants or shoppers, defused so a spreadsheet never runs it as a formula
    (as settlement.reports does; payments does not import settlement)."""
    value = value or ""
    return "'" + value if value.startswith(_FORMULA_PREFIXES) else value


@admin.register(Order)
class OrderAdmin(ReadOnlyAdmin):
    list_display = [
        "order_id",
        "reference_short",
        "status",
        "amount_display",
        "customer_short",
        "merchant_short",
        "created_short",
    ]
    list_filter = ["status", ("created", admin.DateFieldListFilter), MethodFilter]
    platform_list_filter = ["merchant"]
    search_fields = [
        "reference",
        "=public_id",
        "customer_email",
        "=payments__public_id",
        "=payments__card_last4",
    ]
    search_help_text = "Reference, order or payment id, customer e-mail or card last 4."
    date_hierarchy = None
    list_select_related = ["merchant"]
    readonly_fields = [
        "public_id",
        "merchant",
        "reference",
        "status",
        "amount_display",
        "description",
        "customer_email",
        "capture_method",
        "livemode",
        "return_url",
        "metadata",
        "expires_at",
        "paid_at",
        "created",
        "updated",
    ]
    fields = readonly_fields
    change_form_template = "admin/payments/order/change_form.html"
    change_list_template = "admin/payments/order/change_list.html"
    actions = ["export_selected_csv"]

    @admin.display(description="amount", ordering="amount")
    def amount_display(self, obj):
        return _money(obj.amount, obj.currency)

    @admin.display(description="order", ordering="public_id")
    def order_id(self, obj):
        return short_id(obj.public_id)

    @admin.display(description="reference", ordering="reference")
    def reference_short(self, obj):
        return short_text(obj.reference, 20)

    @admin.display(description="customer e-mail", ordering="customer_email")
    def customer_short(self, obj):
        return short_text(obj.customer_email, 22)

    def get_urls(self):
        return [
            path(
                "export.csv",
                self.admin_site.admin_view(self.export_view),
                name="payments_order_export",
            ),
            *super().get_urls(),
        ]

    def export_view(self, request):
        """The change list as CSV: same filters, search and scope as the page."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            changelist = self.get_changelist_instance(request)
        except (IncorrectLookupParameters, DisallowedModelAdminLookup):
            self.message_user(
                request,
                "Nothing was exported: the filters in the address were not valid.",
                messages.ERROR,
            )
            return HttpResponseRedirect(reverse("admin:payments_order_changelist"))
        queryset = changelist.get_queryset(request)
        audit_record(
            request=request,
            action="orders.exported",
            details={"filters": dict(request.GET.items()), "count": queryset.count()},
        )
        return self._csv_response(queryset)

    @admin.action(description="Export selected orders as CSV")
    def export_selected_csv(self, request, queryset):
        # Customer e-mails leave the back office: recorded as the export of the list is.
        audit_record(
            request=request,
            action="orders.exported",
            details={"selected": True, "count": queryset.count()},
        )
        return self._csv_response(queryset)

    def _csv_response(self, queryset):
        writer = csv.writer(_Echo())

        def rows():
            yield writer.writerow(CSV_COLUMNS)
            for order in queryset.select_related("merchant").order_by("-created", "-id"):
                yield writer.writerow(
                    [
                        order.public_id,
                        _csv_text(order.reference),
                        _csv_text(order.merchant.name),
                        order.status,
                        order.amount,
                        order.currency,
                        # Files are read by programs too: one format whatever the language.
                        _money(order.amount, order.currency, "en_US"),
                        _csv_text(order.customer_email),
                        order.created.isoformat(),
                        order.paid_at.isoformat() if order.paid_at else "",
                    ]
                )

        response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="orders.csv"'
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        order = self.get_object(request, object_id)
        if order is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        context = {"detail": order_detail(request, order)}
        context.update(extra_context or {})
        return super().change_view(request, object_id, form_url, context)


def order_detail(request, order: Order) -> dict:
    """Return what the order page shows under its fields: payments, refunds, events, webhooks."""
    payments = list(
        order.payments.prefetch_related("attempts", "otp_challenges", "refunds").order_by("created")
    )
    object_ids = [order.public_id] + [p.public_id for p in payments]
    refunds = [r for p in payments for r in p.refunds.all()]
    object_ids += [r.public_id for r in refunds]
    events = Event.objects.filter(object_id__in=object_ids).order_by("created", "id")
    deliveries = []
    delivery_model = _optional_model("payments", "WebhookDelivery")
    if delivery_model is not None:
        deliveries = list(
            delivery_model.objects.filter(event__object_id__in=object_ids)
            .select_related("event", "endpoint")
            .order_by("created")
        )
    manager = can_manage(request.user, order.merchant_id)
    # Pending refunds are reserved: the refund form offers only what is left after them.
    refundable = {p.pk: p.amount_captured - refunds_reserved(payment=p) for p in payments}
    return {
        "payments": [
            {
                "obj": p,
                "amount": _money(p.amount, p.currency),
                "captured": _money(p.amount_captured, p.currency),
                "refunded": _money(p.amount_refunded, p.currency),
                "pending_refunds": _pending_refunds(p),
                "refundable": _money(max(refundable[p.pk], 0), p.currency),
                "attempts": list(p.attempts.all()),
                "otp": list(p.otp_challenges.all()),
                "can_refund": manager and can_proceed(p.refund_partially) and refundable[p.pk] > 0,
                "can_capture": manager and can_proceed(p.capture),
                "can_cancel": manager and can_proceed(p.void),
                "can_simulate": manager
                and p.status == Payment.Status.PROCESSING
                and p.method_type == Payment.Method.BANK_TRANSFER
                and not p.livemode
                and bool(p.transfer),
            }
            for p in payments
        ],
        "refunds": [{"obj": r, "amount": _money(r.amount, r.currency)} for r in refunds],
        "events": events,
        "deliveries": deliveries,
        "webhooks_installed": delivery_model is not None,
    }


def _pending_refunds(payment: Payment) -> str:
    """Return the pending refunds of a payment as money ("" when there are none)."""
    pending = sum(r.amount for r in payment.refunds.all() if r.status == Refund.Status.PENDING)
    return _money(pending, payment.currency) if pending else ""


def _optional_model(app_label, name):
    try:
        return apps.get_model(app_label, name)
    except LookupError:
        return None


# --- payments: refund (fresh OTP), capture, cancel, simulated transfer ---------------------


class RefundForm(forms.Form):
    required_css_class = "required"
    amount = forms.CharField(
        required=False,
        max_length=24,
        help_text="Leave empty to refund everything refundable.",
    )
    reason = forms.CharField(max_length=500, widget=forms.Textarea(attrs={"rows": 2}))
    otp_token = forms.CharField(
        label="Authenticator code",
        max_length=8,
        help_text="A fresh code from your authenticator app confirms this refund.",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    # One value per rendering of the form: a second press of the button sends the same one.
    submission = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)

    def __init__(self, *args, payment: Payment, **kwargs):
        super().__init__(*args, **kwargs)
        self.payment = payment
        # Pending refunds count too, as the service counts them under its lock.
        self.refundable = payment.amount_captured - refunds_reserved(payment=payment)
        self.fields["submission"].initial = secrets.token_urlsafe(16)
        # Written with the currency's own decimals: none for JPY, three for KWD.
        self.example = to_major(min(max(self.refundable, 1), 1050), payment.currency)
        self.fields["amount"].help_text = (
            f"In {payment.currency}, such as {self.example}. "
            "Leave empty to refund everything refundable."
        )

    def submission_renew(self) -> None:
        """Give the form shown again a new submission value: correcting it is a new send."""
        self.data = self.data.copy()
        self.data["submission"] = secrets.token_urlsafe(16)

    def clean_amount(self):
        """Return the amount in minor units (None: everything refundable) if the refund service
        would take it now, so a wrong amount never spends the staff member's one-time code."""
        value = self.cleaned_data["amount"].strip()
        amount = None
        if value:
            try:
                amount = to_minor(value, self.payment.currency)
            except ValueError:
                raise forms.ValidationError(
                    f"Enter an amount in {self.payment.currency}, such as {self.example}."
                ) from None
        try:
            refund_check(payment=self.payment, amount=amount)
        except DomainError as err:
            raise forms.ValidationError(self.refusal_text(err, amount)) from None
        return amount

    def refusal_text(self, err: DomainError, amount: int | None) -> str:
        """Return the refund service's refusal as the staff member reads it: in money."""
        if isinstance(err, RefundAmountInvalid):
            if amount is None:
                return "Nothing is left to refund on this payment."
            if err.amount <= 0:
                return "Enter an amount greater than zero."
            refundable = _money(max(err.refundable, 0), self.payment.currency)
            return f"At most the refundable amount, {refundable}."
        if can_proceed(self.payment.capture):  # an authorization holds the shopper's funds
            return f"{err.message} Cancel it instead to release the funds."
        return err.message


class PaymentAttemptInline(admin.TabularInline):
    model = PaymentAttempt
    extra = 0
    can_delete = False
    fields = [
        "public_id",
        "method_type",
        "masked_details",
        "institution",
        "authenticated",
        "outcome",
        "decline_code",
        "message",
        "started_at",
        "finished_at",
    ]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class RefundInline(admin.TabularInline):
    model = Refund
    extra = 0
    can_delete = False
    fields = ["public_id", "amount_display", "status", "reason", "created_by", "created"]
    readonly_fields = fields
    amount_display = money_display("amount", "amount")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = [
        "payment_id",
        "order_reference",
        "status",
        "amount_display",
        "method",
        "decline",
        "merchant_short",
        "created_short",
    ]
    list_filter = [
        "status",
        "method_type",
        "capture_method",
        ("created", admin.DateFieldListFilter),
    ]
    platform_list_filter = ["merchant"]
    search_fields = ["=public_id", "=order__public_id", "order__reference", "=card_last4"]
    list_select_related = ["order", "merchant"]
    exclude = ["card", "transfer", "wallet_phone"]
    inlines = [PaymentAttemptInline, RefundInline]
    change_form_template = "admin/payments/payment/change_form.html"
    actions = ["capture_selected", "cancel_selected"]
    manager_actions = ("capture_selected", "cancel_selected")

    @admin.display(description="amount", ordering="amount")
    def amount_display(self, obj):
        return _money(obj.amount, obj.currency)

    # Minor-units fields are shown formatted in the payment's currency, in their place.
    MONEY_DISPLAYS = {
        "amount": "amount_display",
        "amount_authorized": "amount_authorized_display",
        "amount_captured": "amount_captured_display",
        "amount_refunded": "amount_refunded_display",
    }
    amount_authorized_display = money_display("amount_authorized", "amount authorized")
    amount_captured_display = money_display("amount_captured", "amount captured")
    amount_refunded_display = money_display("amount_refunded", "amount refunded")

    def get_fields(self, request, obj=None):
        return [
            self.MONEY_DISPLAYS.get(f.name, f.name)
            for f in self.model._meta.fields
            if f.name not in self.exclude and f.name != "id"
        ]

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    @admin.display(description="decline", ordering="decline_code")
    def decline(self, obj):
        return short_text(obj.decline_code, 18)

    @admin.display(description="method", ordering="method_type")
    def method(self, obj):
        return obj.masked_card or obj.get_method_type_display()

    @admin.display(description="payment", ordering="public_id")
    def payment_id(self, obj):
        return short_id(obj.public_id)

    @admin.display(description="order", ordering="order__reference")
    def order_reference(self, obj):
        return short_text(obj.order.reference, 20)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/refund/", view(self.refund_view), name="payments_payment_refund"
            ),
            path(
                "<path:object_id>/capture/",
                view(self.capture_view),
                name="payments_payment_capture",
            ),
            path(
                "<path:object_id>/cancel/", view(self.cancel_view), name="payments_payment_cancel"
            ),
            path(
                "<path:object_id>/simulate-transfer/",
                view(self.simulate_view),
                name="payments_payment_simulate",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        payment = self.get_object(request, object_id)
        context = {}
        if payment is not None:
            detail = order_detail(request, payment.order)
            context["payment_detail"] = next(
                p for p in detail["payments"] if p["obj"].pk == payment.pk
            )
        context.update(extra_context or {})
        return super().change_view(request, object_id, form_url, context)

    def _payment_for_action(self, request, object_id) -> Payment:
        """Return a visible payment the user manages, else 404 (not visible) or 403 (viewer)."""
        payment = self.get_object(request, object_id)
        if payment is None:
            raise Http404("No such payment.")
        if not self.can_manage_object(request, payment):
            raise PermissionDenied
        return payment

    def _back(self, payment):
        return HttpResponseRedirect(reverse("admin:payments_order_change", args=[payment.order_id]))

    def refund_view(self, request, object_id):
        payment = self._payment_for_action(request, object_id)
        if request.method == "POST" and not self._submission_first(request):
            # A second press of Refund (or a resent form): its code would be refused as spent,
            # which would read as if nothing had been refunded.
            self.message_user(
                request,
                "This refund form was already sent; it was not sent again. The payment's "
                "refunds are listed below.",
                messages.WARNING,
            )
            return self._back(payment)
        form = RefundForm(request.POST or None, payment=payment)
        # The form (amount, reason) is checked first: the one-time code is consumed only by a
        # request that can succeed, so a typo in the amount does not cost a TOTP window.
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            # A fresh code even in a verified session: a hijacked session cannot refund.
            if match_token(request.user, data["otp_token"].strip()) is None:
                form.add_error("otp_token", "That authenticator code is not valid.")
                self.message_user(
                    request,
                    "Refund refused: the authenticator code was not accepted.",
                    messages.ERROR,
                )
            else:
                try:
                    refund = refund_create(
                        merchant=_merchant_arg(request, payment),
                        payment_id=payment.public_id,
                        amount=data["amount"],
                        reason=data["reason"],
                        created_by=request.user,
                    )
                except RefundAmountInvalid as err:
                    # Another refund got in between the form's check and the service's lock.
                    form.add_error("amount", form.refusal_text(err, data["amount"]))
                    refundable = _money(max(err.refundable, 0), payment.currency)
                    self.message_user(
                        request,
                        "Refund refused: a refund must be more than 0 and at most the "
                        f"refundable amount ({refundable}).",
                        messages.ERROR,
                    )
                except DomainError as err:
                    self.message_user(request, f"Refund refused: {err.message}", messages.ERROR)
                else:
                    audit_record(
                        request=request,
                        action="refund.created",
                        obj=refund,
                        details={
                            "payment": payment.public_id,
                            "amount": refund.amount,
                            "currency": refund.currency,
                            "reason": refund.reason,
                        },
                    )
                    self.message_user(
                        request,
                        f"Refund {refund.public_id} of {_money(refund.amount, refund.currency)} "
                        f"created ({refund.status}).",
                        messages.SUCCESS,
                    )
                    return self._back(payment)
        if form.is_bound:
            form.submission_renew()
        context = {
            **self.admin_site.each_context(request),
            "title": f"Refund {payment.public_id}",
            "opts": self.model._meta,
            "payment": payment,
            "form": form,
            "captured": _money(payment.amount_captured, payment.currency),
            "refunded": _money(payment.amount_refunded, payment.currency),
            "pending_refunds": _pending_refunds(payment),
            "refundable": _money(max(form.refundable, 0), payment.currency),
        }
        return TemplateResponse(request, "admin/payments/payment/refund.html", context)

    REFUND_SUBMISSION_TTL = 24 * 3600

    def _submission_first(self, request) -> bool:
        """Return False if this rendering of the refund form was sent before (shared cache, so
        two presses on two web processes count too); a form without the value passes."""
        token = request.POST.get("submission", "")
        if not token:
            return True
        key = f"admin-refund-submission:{request.user.pk}:{token}"
        return cache.add(key, 1, timeout=self.REFUND_SUBMISSION_TTL)

    def _capture(self, request, payment) -> bool:
        try:
            with transaction.atomic():
                payment_capture(
                    merchant=_merchant_arg(request, payment), payment_id=payment.public_id
                )
                audit_record(
                    request=request,
                    action="payment.captured",
                    obj=payment,
                    details={"amount": payment.amount_authorized, "currency": payment.currency},
                )
        except DomainError as err:
            self.message_user(
                request, f"Payment {payment.public_id}: {err.message}", messages.ERROR
            )
            return False
        self.message_user(request, f"Payment {payment.public_id} captured.", messages.SUCCESS)
        return True

    def _cancel(self, request, payment) -> bool:
        try:
            with transaction.atomic():
                payment_cancel(
                    merchant=_merchant_arg(request, payment), payment_id=payment.public_id
                )
                audit_record(request=request, action="payment.canceled", obj=payment)
        except DomainError as err:
            self.message_user(
                request, f"Payment {payment.public_id}: {err.message}", messages.ERROR
            )
            return False
        self.message_user(request, f"Payment {payment.public_id} canceled.", messages.SUCCESS)
        return True

    def capture_view(self, request, object_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        payment = self._payment_for_action(request, object_id)
        self._capture(request, payment)
        return self._back(payment)

    def cancel_view(self, request, object_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        payment = self._payment_for_action(request, object_id)
        self._cancel(request, payment)
        return self._back(payment)

    def simulate_view(self, request, object_id):
        """Sandbox: the shopper's bank transfer arrives for the full amount."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        payment = self._payment_for_action(request, object_id)
        if payment.livemode or not payment.transfer:
            self.message_user(
                request, "Only a sandbox bank transfer can be simulated.", messages.ERROR
            )
            return self._back(payment)
        if payment.status != Payment.Status.PROCESSING:
            # A second press: the sandbox ignores a repeat, so nothing arrives to record.
            self.message_user(
                request,
                f"Payment {payment.public_id} is {payment.status}; it is not waiting for a "
                "transfer, so none was simulated.",
                messages.WARNING,
            )
            return self._back(payment)
        try:
            result = bank_transfer_simulate(
                transfer_reference=payment.transfer["reference"], amount=payment.amount
            )
        except DomainError as err:
            self.message_user(
                request, f"Payment {payment.public_id}: {err.message}", messages.ERROR
            )
        else:
            audit_record(
                request=request,
                action="bank_transfer.simulated",
                obj=payment,
                details={"amount": payment.amount, "currency": payment.currency},
            )
            self.message_user(
                request,
                f"Transfer received; payment {payment.public_id} is {result.status}.",
                messages.SUCCESS,
            )
        return self._back(payment)

    @admin.action(description="Capture selected authorized payments")
    def capture_selected(self, request, queryset):
        for payment in queryset:
            if not self.can_manage_object(request, payment):
                self.message_user(
                    request,
                    f"Payment {payment.public_id}: only a manager may capture.",
                    messages.ERROR,
                )
                continue
            self._capture(request, payment)

    @admin.action(description="Cancel selected authorized payments")
    def cancel_selected(self, request, queryset):
        for payment in queryset:
            if not self.can_manage_object(request, payment):
                self.message_user(
                    request,
                    f"Payment {payment.public_id}: only a manager may cancel.",
                    messages.ERROR,
                )
                continue
            self._cancel(request, payment)


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdmin):
    list_display = [
        "refund_id",
        "payment_short",
        "amount_display",
        "status",
        "reason_short",
        "created_by",
        "created_short",
    ]
    list_filter = ["status", ("created", admin.DateFieldListFilter)]
    platform_list_filter = ["merchant"]
    search_fields = ["=public_id", "=payment__public_id", "payment__order__reference"]
    list_select_related = ["payment", "created_by"]
    readonly_fields = [
        "public_id",
        "payment",
        "merchant",
        "livemode",
        "amount_display",
        "reason",
        "status",
        "failure_code",
        "institution_reference",
        "created_by",
        "created",
        "processed_at",
    ]
    fields = readonly_fields
    amount_display = money_display("amount", "amount")

    @admin.display(description="refund", ordering="public_id")
    def refund_id(self, obj):
        return short_id(obj.public_id)

    @admin.display(description="payment", ordering="payment__public_id")
    def payment_short(self, obj):
        return short_id(obj.payment.public_id)

    @admin.display(description="reason")
    def reason_short(self, obj):
        return short_text(obj.reason, 32)


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = ["public_id", "type", "object_id", "sequence", "merchant", "created_short"]
    list_filter = ["type"]
    platform_list_filter = ["merchant"]
    search_fields = ["=public_id", "=object_id", "type"]
    fields = [
        "public_id",
        "merchant",
        "livemode",
        "type",
        "object_type",
        "object_id",
        "sequence",
        "created",
        "amounts",
        "data_json",
    ]
    readonly_fields = fields

    @admin.display(description="amounts")
    def amounts(self, obj):
        # Beside the raw JSON (minor units, as webhooks send it): major units and currency.
        return amounts_html(obj.data)

    @admin.display(description="data (API JSON)")
    def data_json(self, obj):
        return json_html(obj.data)


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin):
    """The sandbox inbox: codes and notices sent to shoppers in test mode."""

    list_display = ["created_short", "channel", "to", "sandbox_body", "payment", "merchant"]
    list_filter = ["channel"]
    platform_list_filter = ["merchant"]
    search_fields = ["to", "=payment__public_id"]
    fields = ["created", "channel", "to", "sandbox_body", "payment", "merchant", "livemode"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).filter(livemode=False)

    @admin.display(description="message")
    def sandbox_body(self, obj):
        return obj.body if not obj.livemode else format_html("<em>{}</em>", "hidden (live)")


# Webhook and settlement pages live with their owners; loaded here so one autodiscover finds them.
if importlib.util.find_spec("payments.admin_webhooks") is not None:
    from . import admin_webhooks  # noqa: F401, E402
