"""Refunds of captured payments."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django_fsm import FSMField, FSMModelMixin, transition

from .common import CURRENCY_CHECK, new_refund_id
from .merchants import Merchant
from .payments import Payment


class Refund(FSMModelMixin, models.Model):
    class Status(models.TextChoices):
        PENDING = "pending"
        SUCCEEDED = "succeeded"
        FAILED = "failed"

    public_id = models.CharField(max_length=32, unique=True, default=new_refund_id, editable=False)
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    merchant = models.ForeignKey(Merchant, on_delete=models.PROTECT, related_name="refunds")
    livemode = models.BooleanField(default=False)
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    reason = models.CharField(max_length=500, blank=True)
    status = FSMField(default=Status.PENDING, choices=Status.choices, protected=True, db_index=True)
    failure_code = models.CharField(max_length=40, blank=True)
    institution_reference = models.CharField(max_length=100, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created = models.DateTimeField(auto_now_add=True, db_index=True)
    processed_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["-created", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive"),
            models.CheckConstraint(condition=CURRENCY_CHECK, name="refund_currency_iso"),
        ]

    def __str__(self):
        return self.public_id

    @transition(field=status, source=Status.PENDING, target=Status.SUCCEEDED)
    def succeed(self):
        pass

    @transition(field=status, source=Status.PENDING, target=Status.FAILED)
    def fail(self):
        pass
