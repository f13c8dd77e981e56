"""The order a shopper pays: its state machine and its money."""

from django.db import models
from django.db.models import Q
from django_fsm import FSMField, FSMModelMixin, transition

from .common import CURRENCY_CHECK, new_checkout_token, new_order_id
from .merchants import Merchant


class Order(FSMModelMixin, models.Model):
    class Status(models.TextChoices):
        PENDING = "pending"
        PAID = "paid"
        PARTIALLY_REFUNDED = "partially_refunded"
        REFUNDED = "refunded"
        CANCELED = "canceled"
        EXPIRED = "expired"

    class SetupFutureUsage(models.TextChoices):
        ON_SESSION = "on_session"
        OFF_SESSION = "off_session"

    class CaptureMethod(models.TextChoices):
        AUTOMATIC = "automatic"
        MANUAL = "manual"

    # Orders whose payment was captured: paid, then perhaps refunded in part or in full.
    PAID_STATES = (Status.PAID, Status.PARTIALLY_REFUNDED, Status.REFUNDED)

    public_id = models.CharField(max_length=32, unique=True, default=new_order_id, editable=False)
    merchant = models.ForeignKey(Merchant, on_delete=models.PROTECT, related_name="orders")
    livemode = models.BooleanField(default=False)
    reference = models.CharField(max_length=100)
    amount = models.BigIntegerField(help_text="Minor units of the currency")
    currency = models.CharField(max_length=3)
    description = models.CharField(max_length=500, blank=True)
    customer_email = models.EmailField(blank=True)
    # The merchant's customer (``cus_...``) paying, when the order names one: the checkout then
    # offers the customer's saved cards and to save the card paid with. A public id, not a
    # foreign key: customers belong to ``billing``, reached through ``payments.saved_methods``.
    customer = models.CharField(max_length=32, blank=True)
    # How a card saved at the checkout may be used later: ``on_session`` (the customer pays
    # again while present) or ``off_session`` (the merchant may also charge it without them).
    setup_future_usage = models.CharField(
        max_length=16, choices=SetupFutureUsage.choices, default=SetupFutureUsage.ON_SESSION
    )
    return_url = models.URLField(max_length=2000, blank=True)
    capture_method = models.CharField(
        max_length=16, choices=CaptureMethod.choices, default=CaptureMethod.AUTOMATIC
    )
    metadata = models.JSONField(default=dict, blank=True)
    # What the checkout lists: [{"name", "quantity", "unit_amount", "amount"}], the amounts adding
    # up to ``amount`` (checked by ``order_create``); empty when the merchant sent none.
    line_items = models.JSONField(default=list, blank=True)
    status = FSMField(default=Status.PENDING, choices=Status.choices, protected=True)
    checkout_token = models.CharField(
        max_length=64, unique=True, default=new_checkout_token, editable=False
    )
    expires_at = models.DateTimeField()
    paid_at = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True, db_index=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["merchant", "reference"], name="order_reference_unique_per_merchant"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="order_amount_positive"),
            models.CheckConstraint(condition=CURRENCY_CHECK, name="order_currency_iso"),
        ]
        indexes = [models.Index(fields=["merchant", "status", "-created"])]

    def __str__(self):
        return f"{self.reference} ({self.public_id})"

    @transition(field=status, source=Status.PENDING, target=Status.PAID)
    def pay(self):
        pass

    @transition(
        field=status,
        source=[Status.PAID, Status.PARTIALLY_REFUNDED],
        target=Status.PARTIALLY_REFUNDED,
    )
    def refund_partially(self):
        pass

    @transition(
        field=status, source=[Status.PAID, Status.PARTIALLY_REFUNDED], target=Status.REFUNDED
    )
    def refund_fully(self):
        pass

    @transition(field=status, source=Status.PENDING, target=Status.CANCELED)
    def cancel(self):
        pass

    @transition(field=status, source=Status.PENDING, target=Status.EXPIRED)
    def expire(self):
        pass
