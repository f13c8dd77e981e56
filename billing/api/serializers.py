"""Request parsing and response documentation of the customers API.

Input serializers check shapes and types; the services own the rules. Outputs render through
the models' ``api_data`` (the JSON that events carry too).
"""

from __future__ import annotations

import django_filters as df
from rest_framework import serializers

from payments.api.filters import _with_created_range
from payments.api.serializers import (
    AmountField,
    CardInput,
    CurrencyField,
    Input,
    MetadataField,
    constant_field,
    limited_text,
)

from ..models import Customer, Invoice, PaymentMethod, Price
from ..services.methods import CONSENT_TEXT_MAX
from ..services.prices import TRIAL_DAYS_MAX


class CustomerCreateInput(Input):
    email = serializers.EmailField(max_length=254, required=False, allow_blank=True, default="")
    name = limited_text(Customer, "name", required=False, allow_blank=True, default="")
    metadata = MetadataField(required=False)
    test_clock = serializers.CharField(
        max_length=32, required=False, help_text="A test clock id: the customer lives in its time"
    )


class CustomerUpdateInput(Input):
    email = serializers.EmailField(max_length=254, required=False, allow_blank=True)
    name = limited_text(Customer, "name", required=False, allow_blank=True)
    metadata = MetadataField(required=False)


class ConsentInput(Input):
    text = limited_text(limit=CONSENT_TEXT_MAX, help_text="The words the customer agreed to")
    ip = serializers.IPAddressField(help_text="The customer's IP address when agreeing")
    usage = serializers.ChoiceField(
        choices=PaymentMethod.Usage.choices,
        help_text="off_session lets the merchant charge the card without the customer",
    )


class PaymentMethodCreateInput(Input):
    type = serializers.ChoiceField(choices=PaymentMethod.Type.choices)
    card = CardInput()
    consent = ConsentInput()


class CustomerOutput(serializers.Serializer):
    id = serializers.CharField()
    object = constant_field("customer")
    livemode = serializers.BooleanField()
    email = serializers.CharField(allow_null=True)
    name = serializers.CharField(allow_null=True)
    metadata = MetadataField()
    deleted = serializers.BooleanField()
    test_clock = serializers.CharField(allow_null=True)
    created = serializers.DateTimeField()

    def to_representation(self, instance):
        return instance.api_data()


class SavedCardOutput(serializers.Serializer):
    brand = serializers.CharField()
    last4 = serializers.CharField()
    exp_month = serializers.IntegerField()
    exp_year = serializers.IntegerField()
    fingerprint = serializers.CharField(help_text="The same for the same card, per merchant")


class SavedConsentOutput(serializers.Serializer):
    usage = serializers.ChoiceField(choices=PaymentMethod.Usage.choices)
    text = serializers.CharField()
    accepted_at = serializers.DateTimeField()


class SavedPaymentMethodNextAction(serializers.Serializer):
    type = constant_field("otp")
    channel = serializers.CharField()
    masked_destination = serializers.CharField(allow_null=True)
    expires_at = serializers.DateTimeField(allow_null=True)
    verify_url = serializers.CharField(help_text='POST the holder\'s code here: {"code": ...}')
    resend_url = serializers.CharField()


class SavedPaymentMethodOutput(serializers.Serializer):
    id = serializers.CharField()
    object = constant_field("payment_method")
    livemode = serializers.BooleanField()
    type = serializers.ChoiceField(choices=PaymentMethod.Type.choices)
    status = serializers.ChoiceField(
        choices=PaymentMethod.Status.choices,
        help_text="requires_action: the holder's code must be verified before it can be charged",
    )
    next_action = SavedPaymentMethodNextAction(allow_null=True)
    customer = serializers.CharField()
    card = SavedCardOutput()
    consent = SavedConsentOutput()
    detached_at = serializers.DateTimeField(allow_null=True)
    created = serializers.DateTimeField()

    def to_representation(self, instance):
        return instance.api_data()


@_with_created_range
class CustomerFilter(df.FilterSet):
    email = df.CharFilter(max_length=254, help_text="Customers with exactly this e-mail")

    class Meta:
        model = Customer
        fields: list[str] = []


class JsonIntegerField(serializers.IntegerField):
    """An integer given as a JSON integer: "7", 7.0 and true are refused, not converted."""

    default_error_messages = {"invalid": "Give a JSON integer."}

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class PriceCreateInput(Input):
    product_name = limited_text(Price, "product_name")
    amount = AmountField(help_text="Charged each period, in the currency's minor unit")
    currency = CurrencyField(help_text="ISO 4217 code of a supported currency")
    interval = serializers.ChoiceField(choices=Price.Interval.choices)
    interval_count = JsonIntegerField(
        min_value=1, max_value=365, required=False, default=1, help_text="Intervals per period"
    )
    trial_days = JsonIntegerField(
        min_value=1, max_value=TRIAL_DAYS_MAX, required=False, allow_null=True, default=None
    )


class PriceOutput(serializers.Serializer):
    id = serializers.CharField()
    object = constant_field("price")
    livemode = serializers.BooleanField()
    product_name = serializers.CharField()
    amount = serializers.IntegerField()
    currency = serializers.CharField()
    interval = serializers.ChoiceField(choices=Price.Interval.choices)
    interval_count = serializers.IntegerField()
    trial_days = serializers.IntegerField(allow_null=True)
    created = serializers.DateTimeField()

    def to_representation(self, instance):
        return instance.api_data()


@_with_created_range
class PriceFilter(df.FilterSet):
    currency = df.CharFilter(max_length=3, help_text="ISO 4217 code")

    class Meta:
        model = Price
        fields: list[str] = []


class InvoiceLineOutput(serializers.Serializer):
    description = serializers.CharField()
    quantity = serializers.IntegerField()
    unit_amount = serializers.IntegerField(help_text="Minor units; negative for a proration credit")
    tax_rate_bps = serializers.IntegerField(help_text="Tax rate in basis points (2000 = 20%)")
    amount = serializers.IntegerField(help_text="quantity × unit_amount")
    tax_amount = serializers.IntegerField(help_text="amount × rate, rounded half-even")
    period_start = serializers.DateTimeField(allow_null=True)
    period_end = serializers.DateTimeField(allow_null=True)
    proration = serializers.BooleanField()


class InvoiceOutput(serializers.Serializer):
    id = serializers.CharField()
    object = constant_field("invoice")
    livemode = serializers.BooleanField()
    number = serializers.CharField(allow_null=True, help_text="Given at finalize, gap-free")
    status = serializers.ChoiceField(choices=Invoice.Status.choices)
    customer = serializers.CharField()
    subscription = serializers.CharField(allow_null=True)
    billing_reason = serializers.ChoiceField(choices=Invoice.BillingReason.choices)
    collection_method = serializers.ChoiceField(choices=Invoice.CollectionMethod.choices)
    currency = serializers.CharField()
    lines = InvoiceLineOutput(many=True)
    subtotal = serializers.IntegerField()
    tax = serializers.IntegerField()
    total = serializers.IntegerField()
    amount_paid = serializers.IntegerField()
    amount_remaining = serializers.IntegerField()
    period_start = serializers.DateTimeField(allow_null=True)
    period_end = serializers.DateTimeField(allow_null=True)
    due_date = serializers.DateField(allow_null=True)
    memo = serializers.CharField(allow_null=True)
    footer = serializers.CharField(allow_null=True)
    metadata = MetadataField()
    attempt_count = serializers.IntegerField()
    next_payment_attempt = serializers.DateTimeField(allow_null=True)
    finalized_at = serializers.DateTimeField(allow_null=True)
    paid_at = serializers.DateTimeField(allow_null=True)
    voided_at = serializers.DateTimeField(allow_null=True)
    created = serializers.DateTimeField()

    def to_representation(self, instance):
        return instance.api_data()


@_with_created_range
class InvoiceFilter(df.FilterSet):
    status = df.ChoiceFilter(choices=Invoice.Status.choices)
    customer = df.CharFilter(
        field_name="customer__public_id", max_length=32, help_text="A customer id"
    )
    subscription = df.CharFilter(
        field_name="subscription__public_id", max_length=32, help_text="A subscription id"
    )

    class Meta:
        model = Invoice
        fields: list[str] = []
