"""The append-only record of state changes, and the sandbox inbox shoppers read."""

from django.db import models

from .common import new_event_id
from .merchants import Merchant
from .payments import Payment


class Event(models.Model):
    """Append-only record of a state change, written in the transaction that made it."""

    public_id = models.CharField(max_length=32, unique=True, default=new_event_id, editable=False)
    merchant = models.ForeignKey(Merchant, on_delete=models.PROTECT, related_name="events")
    livemode = models.BooleanField(default=False)
    type = models.CharField(max_length=64, db_index=True)
    object_type = models.CharField(max_length=32)
    object_id = models.CharField(max_length=32, db_index=True)
    sequence = models.PositiveIntegerField(help_text="Increases per object, for receivers to order")
    data = models.JSONField(help_text="The object as it was, in the API's representation")
    created = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["object_id", "sequence"], name="event_sequence_unique")
        ]
        indexes = [models.Index(fields=["merchant", "livemode", "-id"])]

    def __str__(self):
        return f"{self.type} {self.object_id} #{self.sequence}"


class OutboxMessage(models.Model):
    """An SMS or e-mail handed to the delivery channel; in sandbox mode the body is kept to read."""

    payment = models.ForeignKey(
        Payment, null=True, blank=True, on_delete=models.CASCADE, related_name="messages"
    )
    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="messages")
    livemode = models.BooleanField(default=False)
    channel = models.CharField(max_length=10)
    to = models.CharField(max_length=200)
    body = models.TextField()
    created = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created", "-id"]
        # One name everywhere (checkout, admin, README, guides): what a test shopper reads.
        verbose_name = "sandbox inbox message"
        verbose_name_plural = "sandbox inbox"

    def __str__(self):
        return f"{self.channel} to {self.to}"
