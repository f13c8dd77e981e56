"""Request parsing and response documentation of the merchant API.

Input serializers only check shapes and types (the services own the business rules). Output
serializers declare the fields for the OpenAPI schema but render through
``payments.representations``, the one source of truth of the API's JSON.
"""

from __future__ import annotations

import functools
import re

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from payments import representations
from payments.models import Order, OutboxMessage, Payment, Refund
from payments.money import CURRENCIES
from payments.validation import HOLDER_NAME_MAX

from .inputs import AmountField, Input, LineItemInput, LineItemOutput, limited_text


@extend_schema_field(
    {
        "type": "object",
        "maxProperties": 50,
        "additionalProperties": {
            "oneOf": [
                {"type": "string", "maxLength": 500},
                {"type": "integer"},
                {"type": "boolean"},
            ],
            "nullable": True,
        },
        "description": "Up to 50 keys (40 characters each) with short scalar values.",
    }
)
class MetadataField(serializers.DictField):
    pass


@extend_schema_field({"type": "string", "enum": sorted(CURRENCIES), "example": "USD"})
class CurrencyField(serializers.CharField):
    """An ISO 4217 code; whether it is supported is the service's decision (one table)."""

    def __init__(self, **kwargs):
        super().__init__(min_length=3, max_length=3, **kwargs)


class OrderCreateInput(Input):
    amount = AmountField()
    currency = CurrencyField(help_text="ISO 4217 code of a supported currency")
    reference = limited_text(Order, "reference", help_text="Unique per merchant")
    description = limited_text(Order, "description", required=False, allow_blank=True)
    customer_email = serializers.EmailField(max_length=254, required=False, allow_blank=True)
    customer = serializers.CharField(
        max_length=32,
        required=False,
        allow_blank=True,
        help_text="Your customer paying (cus_...): the checkout offers their saved cards and to "
        "save the card paid with",
    )
    setup_future_usage = serializers.ChoiceField(
        choices=Order.SetupFutureUsage.choices,
        required=False,
        default=Order.SetupFutureUsage.ON_SESSION,
        help_text="The use a card saved at the checkout is consented for; off_session lets you "
        "charge it without the customer",
    )
    # The URL's syntax is its shape, checked here; what a return URL may be is the service's.
    return_url = limited_text(
        Order, "return_url", base=serializers.URLField, required=False, allow_blank=True
    )
    capture_method = serializers.ChoiceField(
        choices=Order.CaptureMethod.choices, required=False, default=Order.CaptureMethod.AUTOMATIC
    )
    metadata = MetadataField(required=False)
    fx_quote = serializers.CharField(
        max_length=32,
        required=False,
        allow_blank=True,
        help_text="An FX quote (fxq_...) of this amount into your settlement currency",
    )
    line_items = LineItemInput(
        many=True,
        required=False,
        max_length=100,
        help_text="Lines the checkout shows; their quantity × unit_amount must add up to amount",
    )


class NoInput(Input):
    pass  # the body of an operation that takes no fields: empty, or {}


class CardInput(Input):
    number = serializers.CharField(max_length=32, trim_whitespace=True)
    exp_month = serializers.IntegerField(min_value=1, max_value=12)
    exp_year = serializers.IntegerField(min_value=0, max_value=9999)
    cvc = serializers.CharField(max_length=8, write_only=True)
    holder_name = limited_text(limit=HOLDER_NAME_MAX, help_text="The name on the card")


class WalletInput(Input):
    phone = serializers.CharField(max_length=32, help_text="E.164, e.g. +15555550100")


SAVED = "saved"  # a payment method saved for a customer, by its id (pm_...)


class PaymentMethodInput(Input):
    type = serializers.ChoiceField(choices=[*Payment.Method.choices, (SAVED, "Saved")])
    card = CardInput(required=False, help_text="Required when type is card")
    wallet = WalletInput(required=False, help_text="Required when type is wallet")
    id = serializers.CharField(
        max_length=32,
        required=False,
        help_text="Required when type is saved: the saved payment method (pm_...), charged "
        "by the merchant without the customer (needs their off_session consent)",
    )

    def validate(self, attrs):
        kind = attrs["type"]
        needed = "id" if kind == SAVED else kind
        if needed in ("card", "wallet", "id") and needed not in attrs:
            what = "the saved payment method's id" if kind == SAVED else f"the {kind} details"
            raise serializers.ValidationError(
                {needed: [f"Give {what} for type {kind}."]}, code="required"
            )
        # Details of another method were either ignored or, read in place of the right ones,
        # refused with a wrong message (type wallet with a card: "Enter your phone number.").
        others = [name for name in ("card", "wallet", "id") if name != needed and name in attrs]
        if others:
            raise serializers.ValidationError(
                {
                    name: [
                        f"Leave out the {'id' if name == 'id' else name + ' details'} "
                        f"for type {kind}."
                    ]
                    for name in others
                },
                code="not_for_this_type",
            )
        return attrs


class PaymentCreateInput(Input):
    payment_method = PaymentMethodInput()


class OrderPaymentCreateInput(OrderCreateInput):
    """Pay in one call: the order's fields and the payment method."""

    payment_method = PaymentMethodInput()


class OtpVerifyInput(Input):
    code = serializers.CharField(max_length=12, help_text="The 6-digit code sent to the holder")


class CaptureInput(Input):
    amount = AmountField(required=False, help_text="Defaults to the whole authorized amount")


class RefundCreateInput(Input):
    amount = AmountField(required=False, help_text="Defaults to all that is still refundable")
    reason = limited_text(Refund, "reason", required=False, allow_blank=True, default="")


class BankTransferSimulateInput(Input):
    reference = serializers.CharField(max_length=100, help_text="The transfer's reference")
    amount = AmountField()


class OtpMessagesQuery(serializers.Serializer):
    payment = serializers.CharField(max_length=32, help_text="A payment id (pay_...)")


# --- output (documentation; rendered by payments.representations) ----------------------------


def constant_field(value: str) -> serializers.Field:
    """A string field that always holds ``value`` (documented as a one-value enum).

    A subclass per value carries the annotation: annotating ``CharField`` itself would turn
    every string field of the schema into that enum.
    """
    return _constant_field_class(value)()


@functools.cache
def _constant_field_class(value: str) -> type[serializers.CharField]:
    name = value.title().replace("_", "")
    # A named component per value: shared by every serializer using it, with no enum collisions.
    return extend_schema_field(
        {"type": "string", "enum": [value]}, component_name=f"{name}ObjectType"
    )(type(f"{name}ObjectField", (serializers.CharField,), {}))


class CardOutput(serializers.Serializer):
    brand = serializers.CharField()
    last4 = serializers.CharField()
    exp_month = serializers.IntegerField(allow_null=True)
    exp_year = serializers.IntegerField(allow_null=True)


class WalletOutput(serializers.Serializer):
    phone_last4 = serializers.CharField()


class PaymentMethodOutput(serializers.Serializer):
    type = serializers.ChoiceField(choices=Payment.Method.choices)
    card = CardOutput(required=False)
    wallet = WalletOutput(required=False)


NEXT_ACTION_SCHEMA = {
    "nullable": True,
    "description": "What must happen before the payment can complete, or null.",
    "oneOf": [
        {
            "type": "object",
            "title": "OtpAction",
            "required": ["type", "expires_at", "attempts_remaining"],
            "properties": {
                "type": {"type": "string", "enum": ["otp"]},
                "channel": {"type": "string"},
                "destination": {"type": "string"},
                "expires_at": {"type": "string", "format": "date-time"},
                "attempts_remaining": {"type": "integer"},
                "resends_remaining": {"type": "integer"},
            },
        },
        {
            "type": "object",
            "title": "BankTransferInstructions",
            "required": ["type", "reference", "amount", "currency"],
            "properties": {
                "type": {"type": "string", "enum": ["bank_transfer_instructions"]},
                "bank_name": {"type": "string"},
                "account_number": {"type": "string"},
                "reference": {"type": "string"},
                "amount": {"type": "integer"},
                "currency": {"type": "string"},
                "expires_at": {"type": "string", "format": "date-time"},
            },
        },
    ],
}


@extend_schema_field(NEXT_ACTION_SCHEMA)
class NextActionField(serializers.JSONField):
    pass


class PaymentFxOutput(serializers.Serializer):
    presentment_amount = serializers.IntegerField()
    presentment_currency = serializers.CharField()
    settlement_amount = serializers.IntegerField(help_text="At the reference rate")
    settlement_currency = serializers.CharField()
    rate = serializers.CharField(allow_null=True, help_text="Decimal string")
    fixing_date = serializers.DateField(allow_null=True)
    rate_source = serializers.CharField(allow_null=True)
    rate_stale = serializers.BooleanField()
    quote = serializers.CharField(allow_null=True)
    markup_bps = serializers.IntegerField()
    markup_amount = serializers.IntegerField()
    card_country = serializers.CharField(allow_null=True)
    cross_border_fee_bps = serializers.IntegerField()
    cross_border_fee = serializers.IntegerField()


class PaymentOutput(serializers.Serializer):
    id = serializers.CharField()
    object = constant_field("payment")
    livemode = serializers.BooleanField()
    status = serializers.ChoiceField(choices=Payment.Status.choices)
    amount = serializers.IntegerField()
    currency = serializers.CharField()
    amount_authorized = serializers.IntegerField()
    amount_captured = serializers.IntegerField()
    amount_refunded = serializers.IntegerField()
    capture_method = serializers.ChoiceField(choices=Order.CaptureMethod.choices)
    order = serializers.CharField(allow_null=True)
    institution = serializers.CharField()
    payment_method = PaymentMethodOutput()
    decline_code = serializers.CharField(allow_null=True)
    decline_message = serializers.CharField(allow_null=True)
    authentication_method = serializers.ChoiceField(
        choices=[("otp", "One-time code"), ("passkey", "Passkey")],
        allow_null=True,
        help_text="How the holder was verified when the institution asked; null when it did not.",
    )
    next_action = NextActionField(allow_null=True)
    created = serializers.DateTimeField()
    authorized_at = serializers.DateTimeField(allow_null=True)
    captured_at = serializers.DateTimeField(allow_null=True)
    canceled_at = serializers.DateTimeField(allow_null=True)
    risk = serializers.JSONField(
        allow_null=True,
        required=False,
        help_text=(
            "The risk evaluation made before routing: score, level, decision, the rules that "
            "matched and the top reasons (null for a payment made before screening)."
        ),
    )
    fx = PaymentFxOutput(allow_null=True, help_text="Set at capture when it was converted")

    def to_representation(self, instance):
        return representations.payment_data(instance)


class OrderOutput(serializers.Serializer):
    id = serializers.CharField()
    object = constant_field("order")
    livemode = serializers.BooleanField()
    status = serializers.ChoiceField(choices=Order.Status.choices)
    amount = serializers.IntegerField()
    currency = serializers.CharField()
    reference = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    customer_email = serializers.CharField(allow_null=True)
    customer = serializers.CharField(allow_null=True)
    setup_future_usage = serializers.ChoiceField(choices=Order.SetupFutureUsage.choices)
    return_url = serializers.CharField(allow_null=True)
    capture_method = serializers.ChoiceField(choices=Order.CaptureMethod.choices)
    metadata = MetadataField()
    line_items = LineItemOutput(many=True)
    checkout_url = serializers.URLField()
    expires_at = serializers.DateTimeField()
    paid_at = serializers.DateTimeField(allow_null=True)
    created = serializers.DateTimeField()
    payments = PaymentOutput(many=True)

    def to_representation(self, instance):
        # context "payments": the order's payments when the caller knows them (a new order: [])
        return representations.order_data(instance, payments=self.context.get("payments"))


class OrderPaymentOutput(serializers.Serializer):
    """The answer of paying in one call: the payment, and the order it created."""

    object = constant_field("order_payment")
    payment = PaymentOutput()
    order = OrderOutput()


class RefundOutput(serializers.Serializer):
    id = serializers.CharField()
    object = constant_field("refund")
    livemode = serializers.BooleanField()
    status = serializers.ChoiceField(choices=Refund.Status.choices)
    amount = serializers.IntegerField()
    currency = serializers.CharField()
    payment = serializers.CharField()
    order = serializers.CharField()
    reason = serializers.CharField(allow_null=True)
    failure_code = serializers.CharField(allow_null=True)
    created = serializers.DateTimeField()
    processed_at = serializers.DateTimeField(allow_null=True)

    def to_representation(self, instance):
        return representations.refund_data(instance)


@extend_schema_field({"type": "object", "additionalProperties": True})
class EventObjectField(serializers.JSONField):
    pass


class EventDataOutput(serializers.Serializer):
    object = EventObjectField(help_text="The object as it was after the change")


class EventOutput(serializers.Serializer):
    id = serializers.CharField()
    object = constant_field("event")
    type = serializers.CharField(help_text="e.g. payment.captured")
    created = serializers.DateTimeField()
    livemode = serializers.BooleanField()
    sequence = serializers.IntegerField(help_text="Increases per object")
    data = EventDataOutput()

    def to_representation(self, instance):
        return representations.event_data(instance)


class OtpMessageOutput(serializers.Serializer):
    id = serializers.IntegerField()
    object = constant_field("otp_message")
    payment = serializers.CharField(allow_null=True)
    channel = serializers.CharField()
    to = serializers.CharField()
    body = serializers.CharField()
    code = serializers.CharField(allow_null=True, help_text="The code in the message (sandbox)")
    created = serializers.DateTimeField()

    def to_representation(self, instance: OutboxMessage):
        return sandbox_message_data(instance)


_CODE = re.compile(r"\b(\d{6})\b")


def sandbox_message_data(message: OutboxMessage) -> dict:
    """The sandbox inbox shape of a delivered message, with the code it carries."""
    found = _CODE.search(message.body)
    return {
        "id": message.pk,
        "object": "otp_message",
        "payment": message.payment.public_id if message.payment_id else None,
        "channel": message.channel,
        "to": message.to,
        "body": message.body,
        "code": found.group(1) if found else None,
        "created": message.created.isoformat().replace("+00:00", "Z"),
    }


class SandboxResetOutput(serializers.Serializer):
    object = constant_field("sandbox_reset")
    payments_canceled = serializers.IntegerField(
        help_text="Authorized test payments canceled, their holds released"
    )
    accounts = serializers.IntegerField(help_text="Sandbox accounts back at their published funds")
    holds_released = serializers.IntegerField()

    def to_representation(self, instance):
        return {
            "object": "sandbox_reset",
            "payments_canceled": instance.payments_canceled,
            "accounts": instance.accounts,
            "holds_released": instance.holds_released,
        }
