"""Endpoints: register, change, rotate the secret, disable, delete."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from payments.errors import NotFound, QuotaExceeded, ValidationFailed
from payments.models import Merchant
from payments.validation import FieldError
from payments.vault import secret_encrypt

from ..models import WebhookEndpoint
from ..signing import secret_generate
from ..url_safety import url_validate

logger = logging.getLogger(__name__)

EVENT_TYPES: tuple[str, ...] = (
    "order.created",
    "order.paid",
    "order.canceled",
    "order.expired",
    "order.partially_refunded",
    "order.refunded",
    "payment.created",
    "payment.processing",
    "payment.requires_action",
    "payment.authenticated",
    "payment.awaiting_transfer",
    "payment.authorized",
    "payment.captured",
    "payment.declined",
    "payment.canceled",
    "payment.expired",
    "payment.partially_refunded",
    "payment.refunded",
    "refund.created",
    "refund.succeeded",
    "refund.failed",
    "settlement.closed",
    "settlement.paid",
    "customer.created",
    "customer.updated",
    "customer.deleted",
    "payment_method.attached",
    "payment_method.detached",
    "payment_method.updated",
    "customer.subscription.created",
    "customer.subscription.updated",
    "customer.subscription.deleted",
    "invoice.created",
    "invoice.finalized",
    "invoice.paid",
    "invoice.payment_failed",
    "invoice.upcoming",
    "invoice.voided",
    "invoice.marked_uncollectible",
    "invoice.updated",
    "invoice.sent",
    "invoice.overdue",
    "credit_note.created",
    "review.opened",
    "review.closed",
    "dispute.created",
    "dispute.updated",
    "dispute.closed",
)

#: Endpoints a merchant may have per mode: each event is sent once per endpoint, so without a
#: bound one API key could turn every order into thousands of requests at any public address.
MAX_ENDPOINTS = 16

#: ``disabled_reason`` of an endpoint its merchant turned off (every other reason is ours).
DISABLED_BY_MERCHANT = "Disabled by the merchant."

DESCRIPTION_MAX_LENGTH = 500

_UNSET = object()


def events_validate(enabled_events) -> list[str]:
    """Return the de-duplicated event types; raise ``ValidationFailed`` for unknown ones."""
    if not isinstance(enabled_events, list | tuple) or not enabled_events:
        raise ValidationFailed(
            [FieldError("enabled_events", "required", 'List event types, or ["*"] for all.')]
        )
    out: list[str] = []
    for item in enabled_events:
        if not isinstance(item, str) or (item != "*" and item not in EVENT_TYPES):
            raise ValidationFailed(
                [
                    FieldError(
                        "enabled_events", "invalid_event_type", f"Unknown event type {item!r}."
                    )
                ]
            )
        if item not in out:
            out.append(item)
    return ["*"] if "*" in out else out


def _description_errors(description) -> list[FieldError]:
    if len(description or "") > DESCRIPTION_MAX_LENGTH:
        return [
            FieldError("description", "too_long", f"At most {DESCRIPTION_MAX_LENGTH} characters.")
        ]
    return []


def _errors_of(check, *args) -> list[FieldError]:
    try:
        check(*args)
    except ValidationFailed as exc:
        return exc.errors
    return []


def endpoint_limit_check(*, merchant: Merchant, livemode: bool) -> None:
    """Raise ``QuotaExceeded`` if the merchant has ``MAX_ENDPOINTS`` endpoints in the mode."""
    count = WebhookEndpoint.objects.filter(merchant=merchant, livemode=livemode).count()
    if count >= MAX_ENDPOINTS:
        raise QuotaExceeded(
            f"A merchant has at most {MAX_ENDPOINTS} webhook endpoints per mode; delete one "
            "first (one endpoint may receive every event type).",
            code="endpoint_limit_reached",
        )


@transaction.atomic
def webhook_endpoint_create(
    *,
    merchant: Merchant,
    livemode: bool,
    url: str,
    enabled_events: list[str],
    description: str = "",
    enabled: bool = True,
) -> tuple[WebhookEndpoint, str]:
    """Register an endpoint; return it and its signing secret, which is shown only this once."""
    errors = _errors_of(url_validate, url) + _errors_of(events_validate, enabled_events)
    errors += _description_errors(description)
    if errors:
        raise ValidationFailed(errors)
    endpoint_limit_check(merchant=merchant, livemode=livemode)
    secret = secret_generate()
    endpoint = WebhookEndpoint(
        merchant=merchant,
        livemode=livemode,
        url=url.strip(),
        enabled_events=events_validate(enabled_events),
        description=description or "",
        enabled=enabled,
    )
    endpoint.secret_encrypted = secret_encrypt(secret, context=endpoint.public_id)
    endpoint.save()
    logger.info("webhook endpoint %s created for merchant %s", endpoint.public_id, merchant.pk)
    return endpoint, secret


def _endpoint_lock(endpoint_pk: int) -> WebhookEndpoint:
    endpoint = WebhookEndpoint.objects.select_for_update().filter(pk=endpoint_pk).first()
    if endpoint is None:
        raise NotFound("No such webhook endpoint.")
    return endpoint


@transaction.atomic
def webhook_endpoint_update(
    *,
    endpoint: WebhookEndpoint,
    url=_UNSET,
    enabled_events=_UNSET,
    enabled=_UNSET,
    description=_UNSET,
) -> WebhookEndpoint:
    """Change the given fields; enabling a disabled endpoint clears why it was disabled, and a
    new URL clears ``failing_since``."""
    endpoint = _endpoint_lock(endpoint.pk)
    errors: list[FieldError] = []
    if url is not _UNSET:
        try:
            new_url = url_validate(url)
        except ValidationFailed as exc:
            errors += exc.errors
        else:
            if new_url != endpoint.url:
                # The old address's failures say nothing of the new one: its 5 days start anew.
                endpoint.failing_since = None
            endpoint.url = new_url
    if enabled_events is not _UNSET:
        try:
            endpoint.enabled_events = events_validate(enabled_events)
        except ValidationFailed as exc:
            errors += exc.errors
    if description is not _UNSET:
        errors += _description_errors(description)
        endpoint.description = description or ""
    if enabled is not _UNSET:
        if not isinstance(enabled, bool):
            errors.append(FieldError("enabled", "invalid", "true or false."))
        else:
            _enabled_set(endpoint, enabled)
    if errors:
        raise ValidationFailed(errors)
    endpoint.save()
    return endpoint


def _enabled_set(endpoint: WebhookEndpoint, enabled: bool) -> None:
    if enabled and not endpoint.enabled:
        endpoint.enabled = True
        endpoint.disabled_reason, endpoint.disabled_at, endpoint.failing_since = "", None, None
    elif not enabled and endpoint.enabled:
        endpoint.enabled = False
        endpoint.disabled_reason = DISABLED_BY_MERCHANT
        endpoint.disabled_at = timezone.now()


def webhook_endpoint_delete(*, endpoint: WebhookEndpoint) -> None:
    """Delete the endpoint and its delivery log; tasks still queued for it find nothing to do."""
    WebhookEndpoint.objects.filter(pk=endpoint.pk).delete()


@transaction.atomic
def webhook_endpoint_rotate_secret(*, endpoint: WebhookEndpoint) -> tuple[WebhookEndpoint, str]:
    """Issue a new secret; the current one keeps signing for ``WEBHOOKS_SECRET_ROTATION_OVERLAP``.

    Return the endpoint and the new secret (shown once). A secret older than the current one is
    dropped at once.
    """
    endpoint = _endpoint_lock(endpoint.pk)
    secret = secret_generate()
    endpoint.previous_secret_encrypted = endpoint.secret_encrypted
    endpoint.previous_secret_expires_at = timezone.now() + settings.WEBHOOKS_SECRET_ROTATION_OVERLAP
    endpoint.secret_encrypted = secret_encrypt(secret, context=endpoint.public_id)
    endpoint.save()
    logger.info("webhook endpoint %s secret rotated", endpoint.public_id)
    return endpoint, secret


def webhook_endpoint_disable(*, endpoint_pk: int, reason: str) -> WebhookEndpoint:
    """Disable an endpoint (no new deliveries, pending ones fail); ``reason`` is shown to it."""
    with transaction.atomic():
        endpoint = _endpoint_lock(endpoint_pk)
        if endpoint.enabled:
            endpoint.enabled = False
            endpoint.disabled_reason = reason[:300]
            endpoint.disabled_at = timezone.now()
            endpoint.save(update_fields=["enabled", "disabled_reason", "disabled_at", "updated"])
            logger.warning("webhook endpoint %s disabled: %s", endpoint.public_id, reason)
    return endpoint
