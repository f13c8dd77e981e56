"""Request and response shapes of the bulk payouts and bulk charges API (documentation and
the checks of the request as a whole; each row is checked by ``payouts.validation``)."""

from __future__ import annotations

import django_filters as df
from rest_framework import serializers

from payments.api.filters import _with_created_range
from payments.api.serializers import Input, constant_field

from ..models import ChargeBatch, PayoutBatch, PayoutItem
from ..validation import MAX_ITEMS


class PayoutItemInput(serializers.Serializer):
    name = serializers.CharField(help_text="The recipient's name (at most 70 characters)")
    iban = serializers.CharField(help_text="Checked with its country's format and checksum")
    bic = serializers.CharField(required=False, help_text="Found from the IBAN when left out")
    amount = serializers.IntegerField(help_text="Minor units")
    currency = serializers.CharField(help_text="ISO 4217; the merchant must hold a balance in it")
    reference = serializers.CharField(help_text="Unique per merchant (the SEPA end-to-end id)")


class ChargeItemInput(serializers.Serializer):
    reference = serializers.CharField(help_text="Unique in the batch")
    customer = serializers.CharField(help_text="cus_...")
    payment_method = serializers.CharField(
        help_text="pm_...: a card the customer saved with off_session consent"
    )
    amount = serializers.IntegerField(help_text="Minor units")
    currency = serializers.CharField()


class _BatchInput(Input):
    reference = serializers.CharField(
        max_length=PayoutBatch._meta.get_field("reference").max_length,
        help_text="Yours; sending the same reference again returns the batch made first",
    )
    # Each row is checked on its own and reported by row: any JSON value is taken here.
    items = serializers.ListField(
        child=serializers.JSONField(allow_null=True), allow_empty=False, max_length=MAX_ITEMS
    )


class PayoutBatchInput(_BatchInput):
    pass


class ChargeBatchInput(_BatchInput):
    pass


class RejectionOutput(serializers.Serializer):
    row = serializers.IntegerField(help_text="1 = the first item")
    field = serializers.CharField()
    code = serializers.CharField()
    message = serializers.CharField()


class PayoutBatchOutput(serializers.Serializer):
    id = serializers.CharField()
    object = constant_field("payout_batch")
    livemode = serializers.BooleanField()
    reference = serializers.CharField()
    status = serializers.ChoiceField(choices=PayoutBatch.Status.choices)
    rows_total = serializers.IntegerField()
    accepted = serializers.IntegerField()
    rejected = RejectionOutput(many=True)
    totals = serializers.DictField(child=serializers.IntegerField())
    items_by_status = serializers.DictField(child=serializers.IntegerField())
    approved_at = serializers.DateTimeField(allow_null=True)
    created = serializers.DateTimeField()

    def to_representation(self, instance):
        return instance.api_data()


class RecipientOutput(serializers.Serializer):
    id = serializers.CharField()
    object = constant_field("recipient")
    livemode = serializers.BooleanField()
    name = serializers.CharField()
    iban_last4 = serializers.CharField()
    country = serializers.CharField()
    bic = serializers.CharField()
    currency = serializers.CharField()
    created = serializers.DateTimeField()


class PayoutItemOutput(serializers.Serializer):
    id = serializers.CharField()
    object = constant_field("payout")
    livemode = serializers.BooleanField()
    batch = serializers.CharField()
    row = serializers.IntegerField()
    reference = serializers.CharField()
    recipient = RecipientOutput()
    amount = serializers.IntegerField()
    currency = serializers.CharField()
    status = serializers.ChoiceField(choices=PayoutItem.Status.choices)
    failure_code = serializers.CharField(allow_null=True)
    failure_message = serializers.CharField(allow_null=True)
    created = serializers.DateTimeField()

    def to_representation(self, instance):
        return instance.api_data()


class ProgressOutput(serializers.Serializer):
    total = serializers.IntegerField()
    processed = serializers.IntegerField()
    succeeded = serializers.IntegerField()
    failed = serializers.IntegerField()
    failed_by_code = serializers.DictField(child=serializers.IntegerField())


class ChargeBatchOutput(serializers.Serializer):
    id = serializers.CharField()
    object = constant_field("charge_batch")
    livemode = serializers.BooleanField()
    reference = serializers.CharField()
    status = serializers.ChoiceField(choices=ChargeBatch.Status.choices)
    rows_total = serializers.IntegerField()
    rejected = RejectionOutput(many=True)
    progress = ProgressOutput()
    started_at = serializers.DateTimeField(allow_null=True)
    completed_at = serializers.DateTimeField(allow_null=True)
    created = serializers.DateTimeField()

    def to_representation(self, instance):
        return instance.api_data()


@_with_created_range
class PayoutBatchFilter(df.FilterSet):
    status = df.ChoiceFilter(choices=PayoutBatch.Status.choices)
    reference = df.CharFilter(max_length=100)

    class Meta:
        model = PayoutBatch
        fields: list[str] = []


@_with_created_range
class ChargeBatchFilter(df.FilterSet):
    status = df.ChoiceFilter(choices=ChargeBatch.Status.choices)
    reference = df.CharFilter(max_length=100)

    class Meta:
        model = ChargeBatch
        fields: list[str] = []


class PayoutItemFilter(df.FilterSet):
    status = df.ChoiceFilter(choices=PayoutItem.Status.choices)
    reference = df.CharFilter(max_length=35)

    class Meta:
        model = PayoutItem
        fields: list[str] = []
