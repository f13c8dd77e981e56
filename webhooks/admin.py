"""Back office for webhooks: endpoints (register, edit, rotate the secret, redeliver failed
deliveries) and the delivery log with every attempt. Changes go through ``webhooks.services``."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.utils import timezone

from backoffice.access import is_platform_staff, merchant_ids_for
from backoffice.admin_mixins import (
    MerchantScopedAdmin,
    ModeListFilter,
    short_datetime,
    short_id,
    short_text,
)
from backoffice.audit import audit_record
from backoffice.display import mode_display, status_display
from backoffice.step_up import StepUpAdminMixin, step_up_action
from payments.admin_amounts import amounts_html, json_html
from payments.errors import DomainError, ValidationFailed
from payments.models import Merchant
from payments.representations import event_data

from . import services
from .models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from .url_safety import url_validate

EVENT_CHOICES = [("*", "All events (*)")] + [(t, t) for t in services.EVENT_TYPES]


class EndpointForm(forms.ModelForm):
    enabled_events = forms.MultipleChoiceField(
        choices=EVENT_CHOICES, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["merchant", "livemode", "url", "description", "enabled_events", "enabled"]

    def clean(self):
        # The service's own checks (URL safety, event types), shown beside their fields.
        data = super().clean()
        for field, check in (
            ("url", url_validate),
            ("enabled_events", lambda v: services.events_validate(list(v or []))),
        ):
            if field in data:
                try:
                    check(data[field])
                except ValidationFailed as exc:
                    self.add_error(field, exc.errors[0].message)
        if self.instance.pk is None and data.get("merchant") is not None:
            try:
                services.endpoint_limit_check(
                    merchant=data["merchant"], livemode=bool(data.get("livemode"))
                )
            except DomainError as exc:
                self.add_error(None, exc.message)
        return data


class RedeliverActionForm(ActionForm):
    since = forms.SplitDateTimeField(
        required=False,
        widget=forms.SplitDateTimeWidget,
        help_text="Failed deliveries of events since then (default: 3 days ago)",
    )


def _audit(request, action: str, endpoint, **details) -> None:
    """Record an endpoint change: its id, merchant and URL host; never the URL's path or query
    (they may carry a token) and never the signing secret."""
    audit_record(
        request=request,
        action=action,
        obj=endpoint,
        merchant=endpoint.merchant,
        details={"url_host": urlsplit(endpoint.url).hostname or "", **details},
    )


def _secret_page(request, model_admin, endpoint, secret: str) -> TemplateResponse:
    """The signing secret, in this response only: never in a message, a log or the session."""
    context = {
        **model_admin.admin_site.each_context(request),
        "title": "Webhook signing secret",
        "opts": model_admin.model._meta,
        "endpoint": endpoint,
        "secret": secret,
    }
    response = TemplateResponse(request, "admin/webhooks/webhookendpoint/secret.html", context)
    response["Cache-Control"] = "no-store"
    return response


class WebhookAttemptInline(admin.TabularInline):
    model = WebhookAttempt
    extra = 0
    can_delete = False
    fields = [
        "number",
        "started_at",
        "status_code",
        "latency_ms",
        "error",
        "retry_in",
        "response_body",
    ]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        # Attempts belong to the delivery: whoever may see the delivery (scoped) sees them.
        return True


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(StepUpAdminMixin, MerchantScopedAdmin, admin.ModelAdmin):
    """Adding or changing an endpoint (where customer data is sent) and rotating its secret ask
    for a fresh code; deleting one sends nothing out and does not."""

    form = EndpointForm
    step_up_label = "webhook_endpoint"
    step_up_delete = False
    list_display = [
        "url_short",
        "merchant_short",
        "livemode",
        "enabled",
        "disabled_short",
        "failing_since_short",
        "created_short",
    ]
    list_filter = ["enabled", "livemode"]
    platform_list_filter = ["merchant"]
    search_fields = ["url", "public_id", "description"]
    readonly_fields = [
        "public_id",
        "disabled_reason",
        "disabled_at",
        "failing_since",
        "previous_secret_expires_at",
        "created",
    ]
    action_form = RedeliverActionForm
    actions = ["rotate_secret", "redeliver_failed"]
    manager_actions = ("rotate_secret", "redeliver_failed")
    allow_add = True
    allow_delete = True

    @admin.display(description="URL", ordering="url")
    def url_short(self, obj):
        return short_text(obj.url, 34)

    @admin.display(description="failing since", ordering="failing_since")
    def failing_since_short(self, obj):
        return short_datetime(obj.failing_since)

    @admin.display(description="disabled because")
    def disabled_short(self, obj):
        return short_text(obj.disabled_reason, 24)

    def _managed_merchants(self, request):
        if is_platform_staff(request.user):
            return Merchant.objects.all()
        return Merchant.objects.filter(pk__in=merchant_ids_for(request.user, role="manager"))

    def has_add_permission(self, request):
        return self._managed_merchants(request).exists()

    def _may_manage(self, request, obj) -> bool:
        # Managers change and delete their merchants' endpoints, as they add them (and as the
        # API lets their server do); viewers only see them.
        if obj is None:
            return self._managed_merchants(request).exists()
        return self.can_manage_object(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._may_manage(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._may_manage(request, obj)

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            readonly += ["merchant", "livemode"]  # an endpoint stays with its merchant and mode
        return readonly

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if "merchant" in form.base_fields:
            form.base_fields["merchant"].queryset = self._managed_merchants(request)
        return form

    def save_form(self, request, form, change):
        return form.instance  # saved by the services in save_model

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            endpoint = services.webhook_endpoint_update(
                endpoint=obj,
                url=data["url"],
                enabled_events=list(data["enabled_events"]),
                enabled=data["enabled"],
                description=data["description"],
            )
            _audit(request, "webhook_endpoint.changed", endpoint, changed=form.changed_data)
        else:
            endpoint, secret = services.webhook_endpoint_create(
                merchant=data["merchant"],
                livemode=data["livemode"],
                url=data["url"],
                enabled_events=list(data["enabled_events"]),
                description=data["description"],
                enabled=data["enabled"],
            )
            obj.pk, obj.public_id = endpoint.pk, endpoint.public_id
            request._webhook_secret = (endpoint, secret)
            _audit(
                request,
                "webhook_endpoint.created",
                endpoint,
                livemode=endpoint.livemode,
                enabled_events=endpoint.enabled_events,
            )

    def delete_model(self, request, obj):
        # Recorded first: the endpoint row (and its public id) is gone afterwards.
        _audit(request, "webhook_endpoint.deleted", obj)
        services.webhook_endpoint_delete(endpoint=obj)

    def delete_queryset(self, request, queryset):
        for endpoint in queryset.select_related("merchant"):
            self.delete_model(request, endpoint)

    def save_related(self, request, form, formsets, change):
        pass  # no many-to-many fields or inlines

    def response_add(self, request, obj, post_url_continue=None):
        endpoint, secret = request._webhook_secret
        return _secret_page(request, self, endpoint, secret)

    def changelist_view(self, request, extra_context=None):
        if request.method == "POST" and request.POST.get("action") == "redeliver_failed":
            since = RedeliverActionForm(request.POST)["since"]
            if since.errors:
                # Django would say only "No action selected."
                self.message_user(
                    request,
                    "Nothing was sent again: enter the time as a date (YYYY-MM-DD) and a time "
                    "(HH:MM), or leave both empty for 3 days ago.",
                    messages.ERROR,
                )
                return HttpResponseRedirect(request.get_full_path())
        return super().changelist_view(request, extra_context)

    def _managed(self, request, queryset, verb: str):
        for endpoint in queryset:
            if not self.can_manage_object(request, endpoint):
                self.message_user(
                    request, f"Endpoint {endpoint.url}: only a manager may {verb}.", messages.ERROR
                )
                continue
            yield endpoint

    @admin.action(description="Rotate the signing secret (one endpoint)")
    @step_up_action("webhook_endpoint.rotate_secret", "Rotating a webhook signing secret")
    def rotate_secret(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one endpoint.", messages.ERROR)
            return None
        for endpoint in self._managed(request, queryset, "rotate the secret"):
            endpoint, secret = services.webhook_endpoint_rotate_secret(endpoint=endpoint)
            _audit(
                request,
                "webhook_endpoint.secret_rotated",
                endpoint,
                previous_secret_expires_at=endpoint.previous_secret_expires_at.isoformat(),
            )
            return _secret_page(request, self, endpoint, secret)
        return None

    @admin.action(description="Redeliver failed deliveries since the time given")
    def redeliver_failed(self, request, queryset):
        form = RedeliverActionForm(request.POST)
        # As the change list sets them: without its choices the action itself is invalid, and
        # the time typed in was ignored. The change list has checked the form already.
        form.fields["action"].choices = self.get_action_choices(request)
        form.is_valid()
        since = form.cleaned_data.get("since") or timezone.now() - timedelta(days=3)
        for endpoint in self._managed(request, queryset, "redeliver"):
            try:
                restarted = services.endpoint_redeliver_failed(endpoint=endpoint, since=since)
            except DomainError as exc:
                self.message_user(
                    request, f"Endpoint {endpoint.url}: {exc.message}", messages.ERROR
                )
                continue
            _audit(
                request,
                "webhook_endpoint.redelivered",
                endpoint,
                since=since.isoformat(),
                deliveries=len(restarted),
            )
            self.message_user(
                request,
                f"Endpoint {endpoint.url}: {len(restarted)} failed deliveries since "
                f"{short_datetime(since)} sent again.",
                messages.SUCCESS,
            )


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(MerchantScopedAdmin, admin.ModelAdmin):
    list_display = [
        "delivery_id",
        "status_badge",
        "mode",
        "event_type",
        "endpoint_host",
        "attempts",
        "http_status",
        "created_short",
    ]
    list_filter = ["status", ModeListFilter, "endpoint"]
    status_badge = status_display()
    mode = mode_display()
    platform_list_filter = ["merchant"]
    search_fields = ["public_id", "event__public_id", "event__type", "endpoint__url"]
    list_select_related = ["event", "endpoint"]
    fields = [
        "public_id",
        "merchant",
        "endpoint",
        "event",
        "livemode",
        "status",
        "attempt_count",
        "schedule_step",
        "next_attempt_at",
        "last_status_code",
        "last_error",
        "created",
        "completed_at",
        "amounts",
        "payload",
    ]
    readonly_fields = fields
    inlines = [WebhookAttemptInline]
    actions = ["redeliver"]
    manager_actions = ("redeliver",)

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="amounts")
    def amounts(self, obj):
        # Beside the payload (minor units, as sent): major units and currency.
        return amounts_html(obj.event.data)

    @admin.display(description="payload (JSON sent)")
    def payload(self, obj):
        return json_html(event_data(obj.event))

    @admin.display(description="event", ordering="event__type")
    def event_type(self, obj):
        return obj.event.type

    @admin.display(description="delivery", ordering="public_id")
    def delivery_id(self, obj):
        return short_id(obj.public_id)

    @admin.display(description="endpoint", ordering="endpoint__url")
    def endpoint_host(self, obj):
        return short_text(urlsplit(obj.endpoint.url).hostname or obj.endpoint.url, 26)

    @admin.display(description="HTTP", ordering="last_status_code")
    def http_status(self, obj):
        return obj.last_status_code or ""

    @admin.display(description="attempts", ordering="attempt_count")
    def attempts(self, obj):
        return obj.attempt_count

    @admin.action(description="Redeliver selected (a new attempt now)")
    def redeliver(self, request, queryset):
        done = 0
        for delivery in queryset.select_related("endpoint__merchant", "event"):
            if not self.can_manage_object(request, delivery):
                self.message_user(
                    request,
                    f"Delivery {delivery.public_id}: only a manager may redeliver.",
                    messages.ERROR,
                )
                continue
            if not delivery.endpoint.enabled:
                self.message_user(
                    request,
                    f"Delivery {delivery.public_id}: the endpoint is disabled.",
                    messages.ERROR,
                )
                continue
            services.delivery_restart(delivery_pk=delivery.pk)
            _audit(
                request,
                "webhook_delivery.redelivered",
                delivery.endpoint,
                delivery=delivery.public_id,
                event=delivery.event.public_id,
            )
            done += 1
        if done:
            self.message_user(request, f"{done} deliveries sent again.", messages.SUCCESS)
