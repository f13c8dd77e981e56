"""Stored answers of mutating API calls, by Idempotency-Key."""

from django.db import models

from .merchants import Merchant


class IdempotencyRecord(models.Model):
    """The stored response of a mutating API call, replayed for the same key and body."""

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE)
    livemode = models.BooleanField(default=False)
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["merchant", "livemode", "key"], name="idempotency_key_unique"
            )
        ]

    def __str__(self):
        return self.key

    @property
    def completed(self) -> bool:
        return self.response_status is not None
