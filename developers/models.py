from django.db import models
from django.utils import timezone


class RequestLog(models.Model):
    """One merchant API request as support sees it: who, what, the answer, and the bodies with
    card data and secrets already removed (``backoffice.redaction``)."""

    merchant = models.ForeignKey(
        "payments.Merchant", on_delete=models.CASCADE, related_name="request_logs"
    )
    livemode = models.BooleanField(default=False)
    created = models.DateTimeField(default=timezone.now)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=255)
    status = models.PositiveSmallIntegerField()
    code = models.CharField(max_length=64, blank=True, help_text="The problem's code, if any")
    request_id = models.CharField(max_length=128)
    idempotency_key = models.CharField(max_length=255, blank=True)
    replayed = models.BooleanField(default=False)
    key_prefix = models.CharField(max_length=20, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    source_ip = models.GenericIPAddressField(null=True, blank=True)
    request_body = models.JSONField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = "API request"
        indexes = [
            models.Index(
                fields=["merchant", "livemode", "-created"], name="reqlog_merchant_created"
            ),
            models.Index(fields=["request_id"], name="reqlog_request_id"),
            models.Index(fields=["created"], name="reqlog_created"),
        ]

    def __str__(self):
        return f"{self.method} {self.path} {self.status}"
