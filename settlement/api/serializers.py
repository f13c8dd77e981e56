"""Output of the settlement API: fields declared for the schema, rendered by ``api_data``."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from settlement.models import SettlementBatch


@extend_schema_field({"type": "string", "enum": ["settlement"]})
class SettlementObjectField(serializers.CharField):
    """Always "settlement" (a one-value enum in the schema)."""


class FeeScheduleOutput(serializers.Serializer):
    bps = serializers.IntegerField(help_text="Percentage fee in basis points")
    fixed = serializers.IntegerField(help_text="Fixed fee per payment, minor units")


class SettlementOutput(serializers.Serializer):
    id = serializers.CharField()
    object = SettlementObjectField()
    livemode = serializers.BooleanField()
    status = serializers.ChoiceField(choices=SettlementBatch.Status.choices)
    currency = serializers.CharField()
    cutoff = serializers.DateTimeField(help_text="Money captured before this instant")
    payout_date = serializers.DateField()
    payment_count = serializers.IntegerField()
    refund_count = serializers.IntegerField()
    gross_amount = serializers.IntegerField(help_text="Captured, minor units")
    refunds_amount = serializers.IntegerField()
    fees_amount = serializers.IntegerField()
    adjustment_count = serializers.IntegerField()
    adjustments_amount = serializers.IntegerField(
        help_text="Taken from the balance by disputes, less what won disputes gave back"
    )
    net_amount = serializers.IntegerField(
        help_text="gross_amount - refunds_amount - fees_amount - adjustments_amount"
    )
    carry_in = serializers.IntegerField(help_text="Negative net carried from the previous batch")
    payout_amount = serializers.IntegerField(help_text="max(0, net_amount + carry_in)")
    carry_out = serializers.IntegerField(help_text="Negative remainder carried to the next batch")
    fee_schedule = FeeScheduleOutput()
    payout = serializers.CharField(allow_null=True, help_text="Payout id (po_...), if any")
    created = serializers.DateTimeField()
    closed_at = serializers.DateTimeField(allow_null=True)
    paid_at = serializers.DateTimeField(allow_null=True)

    def to_representation(self, instance):
        return instance.api_data()
