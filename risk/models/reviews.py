"""Payments held for review: authorized, not captured until someone decides."""

from django.conf import settings
from django.db import models
from django_fsm import FSMField, FSMModelMixin, transition

from payments.models import Merchant, Payment, new_public_id
from payments.representations import iso_timestamp

from .evaluations import Evaluation


def new_review_id() -> str:
    return new_public_id("prv")


class Review(FSMModelMixin, models.Model):
    class Status(models.TextChoices):
        OPEN = "open"
        APPROVED = "approved"  # captured
        REFUNDED = "refunded"  # captured money given back (review closed after capture)
        CANCELED = "canceled"  # the authorization voided
        CLOSED = "closed"  # the payment ended otherwise (expired, canceled by the merchant)

    public_id = models.CharField(max_length=32, unique=True, default=new_review_id, editable=False)
    payment = models.OneToOneField(Payment, on_delete=models.CASCADE, related_name="risk_review")
    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="+")
    merchant = models.ForeignKey(Merchant, on_delete=models.PROTECT, related_name="+")
    livemode = models.BooleanField(default=False)
    status = FSMField(default=Status.OPEN, choices=Status.choices, protected=True)
    reason = models.CharField(max_length=200, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(max_length=500, blank=True)
    opened_at = models.DateTimeField(auto_now_add=True, db_index=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        indexes = [models.Index(fields=["merchant", "livemode", "status", "-opened_at"])]

    def __str__(self):
        return f"Review of {self.payment_id} ({self.status})"

    def api_data(self) -> dict:
        return {
            "id": self.public_id,
            "object": "review",
            "livemode": self.livemode,
            "status": self.status,
            "open": self.status == self.Status.OPEN,
            "payment": self.payment.public_id,
            "reason": self.reason,
            "note": self.note or None,
            "opened_at": iso_timestamp(self.opened_at),
            "closed_at": iso_timestamp(self.closed_at),
        }

    @transition(field=status, source=Status.OPEN, target=Status.APPROVED)
    def approve(self):
        pass

    @transition(field=status, source=Status.OPEN, target=Status.CANCELED)
    def cancel(self):
        pass

    @transition(field=status, source=Status.OPEN, target=Status.REFUNDED)
    def refund(self):
        pass

    @transition(field=status, source=Status.OPEN, target=Status.CLOSED)
    def close(self):
        pass
