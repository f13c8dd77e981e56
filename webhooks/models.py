"""Webhook endpoints a merchant registers, one delivery per (event, endpoint), its attempts."""

from django.db import models
from django_fsm import FSMField, FSMModelMixin, transition

from payments.models import Event, Merchant, new_public_id


def new_webhook_endpoint_id() -> str:
    return new_public_id("we")


def new_webhook_delivery_id() -> str:
    return new_public_id("whd")


class WebhookEndpoint(models.Model):
    """A merchant's HTTPS receiver of events; its signing secret is kept encrypted."""

    public_id = models.CharField(
        max_length=32, unique=True, default=new_webhook_endpoint_id, editable=False
    )
    merchant = models.ForeignKey(
        Merchant, on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    livemode = models.BooleanField(default=False)
    url = models.URLField(max_length=2000)
    description = models.CharField(max_length=500, blank=True)
    enabled_events = models.JSONField(default=list, help_text='Event types, or ["*"] for all')
    enabled = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    # "kid$base64(nonce|ciphertext)" from payments.vault.secret_encrypt; never shown again.
    secret_encrypted = models.TextField(editable=False)
    previous_secret_encrypted = models.TextField(blank=True, editable=False)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    failing_since = models.DateTimeField(
        null=True, blank=True, help_text="First failed attempt since the last success"
    )
    # One batch of attempts at a time, and a circuit breaker (webhooks.services.circuit).
    claimed_until = models.DateTimeField(null=True, blank=True, editable=False)
    consecutive_failures = models.PositiveIntegerField(default=0, editable=False)
    circuit_open_until = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="Deliveries held until then"
    )
    created = models.DateTimeField(auto_now_add=True, db_index=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [
            models.Index(
                fields=["merchant", "livemode", "enabled"], name="webhooks_endpoint_scope_idx"
            )
        ]

    def __str__(self):
        return f"{self.url} ({self.public_id})"

    def subscribes_to(self, event_type: str) -> bool:
        return "*" in self.enabled_events or event_type in self.enabled_events


class WebhookDelivery(FSMModelMixin, models.Model):
    """One event owed to one endpoint: retried on a schedule until it succeeds or gives up."""

    class Status(models.TextChoices):
        PENDING = "pending"
        RETRYING = "retrying"
        SUCCEEDED = "succeeded"
        FAILED = "failed"

    public_id = models.CharField(
        max_length=32, unique=True, default=new_webhook_delivery_id, editable=False
    )
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="webhook_deliveries")
    merchant = models.ForeignKey(
        Merchant, on_delete=models.CASCADE, related_name="webhook_deliveries"
    )
    livemode = models.BooleanField(default=False)
    status = FSMField(default=Status.PENDING, choices=Status.choices, protected=True, db_index=True)
    attempt_count = models.PositiveIntegerField(default=0, help_text="Attempts made, in all")
    schedule_step = models.PositiveSmallIntegerField(
        default=0, help_text="Failed attempts since the delivery was (re)started"
    )
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)
    retries_end_at = models.DateTimeField(
        null=True, blank=True, help_text="No retry after this (set by the first failure)"
    )
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created = models.DateTimeField(auto_now_add=True, db_index=True)
    updated = models.DateTimeField(auto_now=True)
    completed_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name_plural = "webhook deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["event", "endpoint"], name="one_delivery_per_event_endpoint"
            )
        ]
        indexes = [
            models.Index(
                fields=["endpoint", "status", "-created"], name="webhooks_delivery_log_idx"
            )
        ]

    def __str__(self):
        return self.public_id

    @transition(field=status, source=[Status.PENDING, Status.RETRYING], target=Status.SUCCEEDED)
    def succeed(self):
        pass

    @transition(field=status, source=[Status.PENDING, Status.RETRYING], target=Status.RETRYING)
    def schedule_retry(self):
        pass

    @transition(field=status, source=[Status.PENDING, Status.RETRYING], target=Status.FAILED)
    def fail(self):
        pass

    # A manual redelivery starts the delivery over, whatever became of it.
    @transition(
        field=status,
        source=[Status.SUCCEEDED, Status.FAILED, Status.RETRYING, Status.PENDING],
        target=Status.PENDING,
    )
    def restart(self):
        pass


class WebhookAttempt(models.Model):
    """One HTTP request of a delivery and what came back (or why nothing did)."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempts")
    number = models.PositiveIntegerField(help_text="1 for the first attempt of the delivery")
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    url = models.URLField(max_length=2000)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True, help_text="The first 1 KB of the answer")
    error = models.CharField(max_length=500, blank=True)
    succeeded = models.BooleanField(default=False)
    retry_in = models.PositiveIntegerField(
        null=True, blank=True, help_text="Seconds until the next attempt, if one is scheduled"
    )

    class Meta:
        ordering = ["delivery", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["delivery", "number"], name="webhook_attempt_number_unique"
            )
        ]

    def __str__(self):
        return f"{self.delivery_id} #{self.number}"
