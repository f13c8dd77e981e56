"""Tenant scoping for admin classes: merchant staff see their own merchants' rows only.

Use ``MerchantScopedAdmin`` as the first base of a ``ModelAdmin``::

    @admin.register(WebhookDelivery)
    class WebhookDeliveryAdmin(MerchantScopedAdmin, admin.ModelAdmin):
        merchant_lookup = "endpoint__merchant"
        list_filter = ["status", "endpoint"]       # related filters list only visible rows
        platform_list_filter = ["endpoint__merchant"]  # shown to platform staff only

Scoping covers the change list, search, filters, the change/delete views reached by a typed URL
(they 404 through ``get_queryset``), autocomplete (Django asks the target admin's
``get_queryset``) and the choices of foreign keys on forms. Money and state fields are read-only
and rows are never added or deleted by hand: only actions that call services change them.
"""

from __future__ import annotations

import json

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.exceptions import DisallowedModelAdminLookup
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ERROR_FLAG, ChangeList
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse

from .access import can_manage, is_platform_staff, merchant_ids_for
from .audit import audit_record

# Field names that carry money or state: shown, never edited by hand.
MONEY_FIELD_PREFIXES = ("amount", "fee", "status", "currency", "payout", "gross", "net")


class LookupSafeChangeList(ChangeList):
    """A change list on which a filter value from the address fails as a bad lookup, never a 500.

    Some values pass Django's checks and fail only when the query is compiled (a year past 9999
    in ``created__year``) or overflow a C integer; both become ``IncorrectLookupParameters``,
    which the admin answers with the whole list (see ``LookupSafeAdminMixin``).
    """

    def get_filters(self, request):
        if any("\x00" in value for _, values in request.GET.lists() for value in values):
            # PostgreSQL text cannot hold NUL: the query would fail as a DataError.
            raise IncorrectLookupParameters("NUL character in the address")
        try:
            filters = super().get_filters(request)
        except OverflowError as err:  # the date hierarchy's year, beyond a C int
            raise IncorrectLookupParameters(err) from err
        # What the declared filters (and the date hierarchy) did not take is a lookup typed into
        # the address: any field, any lookup (a regex, a prefix of a secret). Only offered ones.
        remaining = set(filters[2])
        if self.date_hierarchy:
            remaining -= {f"{self.date_hierarchy}__gte", f"{self.date_hierarchy}__lt"}
        if remaining:
            raise DisallowedModelAdminLookup(
                f"Filtering by {min(remaining)!r} is not offered on this list."
            )
        return filters

    def get_results(self, request):
        try:
            super().get_results(request)
        except (ValueError, OverflowError) as err:
            raise IncorrectLookupParameters(err) from err


class LookupSafeAdminMixin:
    """ModelAdmin mixin, given to every admin by the site: bad filter values in the address
    show the whole list with a message saying so, instead of a 500 or a silent redirect, and an
    action posted with ids that are not ids is refused with a message."""

    def get_changelist(self, request, **kwargs):
        base = super().get_changelist(request, **kwargs)
        if issubclass(base, LookupSafeChangeList):
            return base
        return type(f"LookupSafe{base.__name__}", (LookupSafeChangeList, base), {})

    def changelist_view(self, request, extra_context=None):
        try:
            response = super().changelist_view(request, extra_context)
        except DisallowedModelAdminLookup as err:
            context = {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": "Filter not offered",
                "problem": str(err),
            }
            return TemplateResponse(request, "admin/bad_filter.html", context, status=400)
        # Django redirects to "?e=1" (the whole list) when the filters or page were not valid.
        if (
            ERROR_FLAG not in request.GET
            and response.status_code == 302
            and response.get("Location", "").endswith(f"?{ERROR_FLAG}=1")
        ):
            messages.warning(
                request,
                "The filters or page in the address were not valid, so the whole list is shown.",
            )
        return response

    def response_action(self, request, queryset):
        # Ids of the rows ticked, as posted: text or a number past the column's range would
        # fail deep in the action's query, as a 500.
        pk = self.opts.pk
        for value in request.POST.getlist(helpers.ACTION_CHECKBOX_NAME):
            try:
                pk.clean(value, None)
            except ValidationError:
                messages.warning(
                    request, "The items selected were not valid ids; no action was taken."
                )
                return HttpResponseRedirect(request.get_full_path())
        return super().response_action(request, queryset)


class AuditedChangesMixin:
    """ModelAdmin mixin, given by the site to admins of models outside the product (staff users,
    groups, authenticators, sign-in lockouts), whose pages change them by Django's own views:
    each change Django logs is written to the audit log too, with the fields changed (their
    names, never their values)."""

    def _audit(self, request, obj, verb: str, details: dict) -> None:
        audit_record(
            request=request,
            action=f"{obj._meta.model_name}.{verb}",
            obj=obj,
            # Field labels may be lazy translations.
            details=json.loads(json.dumps(details, cls=DjangoJSONEncoder)),
        )

    def log_addition(self, request, obj, message):
        self._audit(request, obj, "created", {"change": message})
        return super().log_addition(request, obj, message)

    def log_change(self, request, obj, message):
        self._audit(request, obj, "changed", {"change": message})
        return super().log_change(request, obj, message)

    def log_deletions(self, request, queryset):
        for obj in queryset:
            self._audit(request, obj, "deleted", {"object": str(obj)})
        return super().log_deletions(request, queryset)


class ReadOnlyAdminMixin:
    """ModelAdmin mixin for rows that services alone write: shown, never added, changed or
    deleted by hand."""

    def has_add_permission(self, request, *args, **kwargs):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ScopedRelatedFilter(admin.RelatedOnlyFieldListFilter):
    """A related filter that lists only objects referenced by rows the user may see."""


def _is_money_field(name: str, extra: tuple[str, ...]) -> bool:
    return name in extra or any(name.startswith(p) for p in MONEY_FIELD_PREFIXES)


class MerchantScopedAdmin:
    """ModelAdmin mixin: scope rows to ``merchant_ids_for(user)`` through ``merchant_lookup``."""

    #: Path from this model to ``payments.Merchant`` ("merchant", "payment__merchant", "pk"
    #: for the Merchant admin itself).
    merchant_lookup = "merchant"
    #: Extra read-only field names on top of those matching ``MONEY_FIELD_PREFIXES``.
    money_fields: tuple[str, ...] = ()
    #: Filters shown only to platform staff (e.g. the merchant filter).
    platform_list_filter: tuple | list = ()
    #: Rows are created by services, not by the add form; subclasses may opt in.
    allow_add = False
    allow_delete = False

    # --- scoping ---
    def merchant_ids(self, request) -> list[int] | None:
        if not hasattr(request, "_merchant_ids_cache"):
            request._merchant_ids_cache = merchant_ids_for(request.user)
        return request._merchant_ids_cache

    def scope_queryset(self, request, queryset):
        """Return ``queryset`` narrowed to the user's merchants (unchanged for platform staff)."""
        ids = self.merchant_ids(request)
        if ids is None:
            return queryset
        return queryset.filter(**{f"{self.merchant_lookup}__in": ids}).distinct()

    def get_queryset(self, request):
        return self.scope_queryset(request, super().get_queryset(request))

    def merchant_of(self, obj):
        """Return the merchant pk an object belongs to, following ``merchant_lookup``."""
        if self.merchant_lookup in ("pk", "id"):
            return obj.pk
        value = obj
        for part in self.merchant_lookup.split("__"):
            value = getattr(value, part, None)
            if value is None:
                return None
        return value.pk

    def is_platform(self, request) -> bool:
        return is_platform_staff(request.user)

    def can_manage_object(self, request, obj) -> bool:
        """Return True if the user is a manager of the object's merchant or platform staff."""
        merchant_id = self.merchant_of(obj)
        return merchant_id is not None and can_manage(request.user, merchant_id)

    # --- actions: those only a manager may take are not offered to staff who manage none ---
    #: Names of actions that need a manager of the rows' merchant (each still checks per row).
    manager_actions: tuple[str, ...] = ()

    def get_actions(self, request):
        actions = super().get_actions(request)
        if self.manager_actions and merchant_ids_for(request.user, role="manager") == []:
            for name in self.manager_actions:
                actions.pop(name, None)
        return actions

    # --- change list: the merchant column only where there is more than one merchant to tell ---
    #: Columns naming the merchant; dropped for staff of a single merchant.
    merchant_columns: tuple[str, ...] = ("merchant", "merchant_short")

    def get_list_display(self, request):
        columns = list(super().get_list_display(request))
        ids = self.merchant_ids(request)
        if ids is not None and len(ids) <= 1:
            columns = [c for c in columns if c not in self.merchant_columns]
        return columns

    @admin.display(description="merchant", ordering="merchant__name")
    def merchant_short(self, obj):
        return short_text(getattr(obj, "merchant", ""), 20)

    @admin.display(description="created", ordering="created")
    def created_short(self, obj):
        return short_datetime(obj.created)

    # --- permissions: no hand-made rows, no hand-deleted rows ---
    def has_add_permission(self, request, *args, **kwargs):
        return self.allow_add and super().has_add_permission(request, *args, **kwargs)

    def has_delete_permission(self, request, obj=None):
        if not self.allow_delete:
            return False
        if obj is not None and self.merchant_ids(request) is not None:
            if self.merchant_of(obj) not in self.merchant_ids(request):
                return False
        return super().has_delete_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        if obj is not None and self.merchant_ids(request) is not None:
            if self.merchant_of(obj) not in self.merchant_ids(request):
                return False
        return super().has_change_permission(request, obj)

    # --- read-only money and state ---
    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        for field in self.model._meta.concrete_fields:
            if _is_money_field(field.name, self.money_fields) and field.name not in readonly:
                readonly.append(field.name)
        return readonly

    # --- filters: related choices limited to visible rows; platform-only filters ---
    def get_list_filter(self, request):
        filters = []
        for spec in list(super().get_list_filter(request)):
            if isinstance(spec, str) and self._is_relation(spec):
                spec = (spec, ScopedRelatedFilter)
            filters.append(spec)
        if self.is_platform(request):
            for spec in self.platform_list_filter:
                if isinstance(spec, str) and self._is_relation(spec):
                    spec = (spec, ScopedRelatedFilter)
                filters.append(spec)
        return filters

    def _is_relation(self, path: str) -> bool:
        model = self.model
        field = None
        for part in path.split("__"):
            try:
                field = model._meta.get_field(part)
            except FieldDoesNotExist:
                return False
            if not field.is_relation:
                return False
            model = field.related_model
        return field is not None and field.is_relation

    def lookup_allowed(self, lookup, value, request=None):
        # Platform-only filters are not valid lookups for merchant staff (no typed-URL probing).
        if request is not None and not self.is_platform(request):
            for spec in self.platform_list_filter:
                name = spec if isinstance(spec, str) else spec[0]
                if lookup.startswith(name):
                    return False
        if request is None:
            return super().lookup_allowed(lookup, value)
        return super().lookup_allowed(lookup, value, request)

    # --- forms and autocomplete: foreign keys offer only the user's merchants' objects ---
    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)
        ids = self.merchant_ids(request)
        if ids is not None and formfield is not None and hasattr(formfield, "queryset"):
            formfield.queryset = _scope_related(self.admin_site, formfield.queryset, ids)
        return formfield

    def get_search_results(self, request, queryset, search_term):
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        # Autocomplete from another admin passes this admin's queryset; scope again to be sure.
        return self.scope_queryset(request, queryset), may_have_duplicates


def _scope_related(admin_site, queryset, ids):
    """Narrow a related model's queryset to the merchants ``ids`` when it belongs to one.

    The related model's own scoped admin says how it reaches a merchant (the merchant admin
    itself by ``pk``); a model with a ``merchant`` foreign key is scoped by it; other models are
    left as they are.
    """
    model = queryset.model
    if admin_site.is_registered(model):
        related_admin = admin_site.get_model_admin(model)
        if isinstance(related_admin, MerchantScopedAdmin):
            if related_admin.merchant_lookup in ("pk", "id"):
                return queryset.filter(pk__in=ids)
            lookup = f"{related_admin.merchant_lookup}__in"
            return queryset.filter(**{lookup: ids}).distinct()
    try:
        field = model._meta.get_field("merchant")
    except FieldDoesNotExist:
        return queryset
    return queryset.filter(merchant__in=ids) if field.is_relation else queryset


# --- change-list cells: short ids and texts that keep a list within a 1280 px screen ---


def short_id(public_id: str, keep: int = 6) -> str:
    """Return ``pay_VIWemgZT…`` for a long public id, the whole id in its tooltip."""
    from django.utils.html import format_html

    if not public_id:
        return ""
    prefix, _, rest = public_id.partition("_")
    shown = f"{prefix}_{rest[:keep]}…" if rest and len(rest) > keep + 1 else public_id
    return format_html('<span class="short-id" title="{}">{}</span>', public_id, shown)


def short_text(text, length: int = 28) -> str:
    """Return ``text`` cut to ``length`` characters with an ellipsis, whole in its tooltip."""
    from django.utils.html import format_html
    from django.utils.text import Truncator

    text = "" if text is None else str(text)
    if len(text) <= length:
        return text
    return format_html('<span title="{}">{}</span>', text, Truncator(text).chars(length))


def short_datetime(value) -> str:
    """Return ``2026-11-23 12:00`` (local time) for a change-list cell; "" for None."""
    from django.utils import timezone

    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


class ModeListFilter(admin.SimpleListFilter):
    """Live or test rows only (``?mode=live``): the two are never added up by mistake."""

    title = "mode"
    parameter_name = "mode"
    field = "livemode"

    def lookups(self, request, model_admin):
        return [("live", "Live"), ("test", "Test")]

    def queryset(self, request, queryset):
        if self.value() in ("live", "test"):
            return queryset.filter(**{self.field: self.value() == "live"})
        return queryset
