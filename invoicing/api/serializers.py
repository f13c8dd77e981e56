"""Request parsing and response documentation of the invoicing API.

Inputs check shapes and types; the services (billing's and this app's) own the rules. Invoices
render as billing's ``api_data`` plus the pay link and the PDF's address.
"""

from __future__ import annotations

from rest_framework import serializers

from billing.api.serializers import InvoiceOutput as BillingInvoiceOutput
from billing.api.serializers import JsonIntegerField
from billing.services.invoices import LINES_MAX, QUANTITY_MAX
from payments.api.serializers import (
    CurrencyField,
    Input,
    MetadataField,
    constant_field,
    limited_text,
)

from ..models import CreditNote
from ..selectors import invoice_data
from ..services.drafts import DUE_DAYS_MAX, MEMO_MAX


class LineInput(Input):
    description = limited_text(limit=500)
    quantity = JsonIntegerField(min_value=1, max_value=QUANTITY_MAX, required=False, default=1)
    unit_amount = JsonIntegerField(help_text="Price of one unit in the currency's minor unit")
    tax_rate_bps = JsonIntegerField(
        min_value=0, max_value=10000, required=False, default=0, help_text="2000 is 20%"
    )


class InvoiceCreateInput(Input):
    customer = limited_text(limit=32, help_text="A customer id (cus_...) of this key's mode")
    currency = CurrencyField()
    lines = LineInput(many=True, allow_empty=False, max_length=LINES_MAX)
    due_days = JsonIntegerField(
        min_value=0, max_value=DUE_DAYS_MAX, required=False, help_text="Net terms, from finalize"
    )
    due_date = serializers.DateField(required=False, help_text="Instead of due_days")
    memo = limited_text(limit=MEMO_MAX, required=False, allow_blank=True, default="")
    footer = limited_text(limit=MEMO_MAX, required=False, allow_blank=True, default="")
    metadata = MetadataField(required=False)


class InvoiceUpdateInput(Input):
    lines = LineInput(many=True, allow_empty=False, max_length=LINES_MAX, required=False)
    due_days = JsonIntegerField(min_value=0, max_value=DUE_DAYS_MAX, required=False)
    due_date = serializers.DateField(required=False)
    memo = limited_text(limit=MEMO_MAX, required=False, allow_blank=True)
    footer = limited_text(limit=MEMO_MAX, required=False, allow_blank=True)
    metadata = MetadataField(required=False)


class InvoiceSendInput(Input):
    email = serializers.EmailField(
        max_length=254, required=False, help_text="Instead of the customer's e-mail"
    )


class InvoiceOutput(BillingInvoiceOutput):
    amount_credited = serializers.IntegerField(help_text="What its credit notes took off it")
    amount_refunded = serializers.IntegerField(
        help_text="What was paid back of it (credit notes, refunds of its payments)"
    )
    hosted_invoice_url = serializers.URLField(
        allow_null=True, help_text="The pay link (null for a draft)"
    )
    invoice_pdf = serializers.CharField(help_text="Path of the PDF in this API")

    def to_representation(self, instance):
        return invoice_data(instance)


class CreditNoteLineInput(Input):
    description = limited_text(limit=500)
    quantity = JsonIntegerField(min_value=1, max_value=QUANTITY_MAX, required=False, default=1)
    unit_amount = JsonIntegerField(min_value=1)
    tax_rate_bps = JsonIntegerField(min_value=0, max_value=10000, required=False, default=0)


class CreditNoteCreateInput(Input):
    amount = JsonIntegerField(
        min_value=1, required=False, help_text="Tax included; instead of lines (neither: all)"
    )
    lines = CreditNoteLineInput(many=True, allow_empty=False, max_length=LINES_MAX, required=False)
    reason = serializers.ChoiceField(choices=CreditNote.Reason.choices)
    memo = limited_text(CreditNote, "memo", required=False, allow_blank=True, default="")
    credit_to = serializers.ChoiceField(
        choices=[("refund", "refund"), ("customer_balance", "customer_balance")],
        required=False,
        default="refund",
        help_text="What of the amount was already paid: refunded, or kept as customer credit",
    )


class CreditNoteLineOutput(serializers.Serializer):
    description = serializers.CharField()
    quantity = serializers.IntegerField()
    unit_amount = serializers.IntegerField()
    tax_rate_bps = serializers.IntegerField()
    amount = serializers.IntegerField()
    tax = serializers.IntegerField()


class CreditNoteOutput(serializers.Serializer):
    id = serializers.CharField()
    object = constant_field("credit_note")
    livemode = serializers.BooleanField()
    number = serializers.CharField()
    invoice = serializers.CharField()
    currency = serializers.CharField()
    amount = serializers.IntegerField()
    tax = serializers.IntegerField()
    due_reduction = serializers.IntegerField(help_text="Taken off what was still due")
    refund_amount = serializers.IntegerField(help_text="Refunded of what was paid")
    customer_balance_amount = serializers.IntegerField(help_text="Credited to the customer")
    refunds = serializers.ListField(child=serializers.CharField())
    reason = serializers.ChoiceField(choices=CreditNote.Reason.choices)
    memo = serializers.CharField(allow_null=True)
    lines = CreditNoteLineOutput(many=True)
    created = serializers.DateTimeField()

    def to_representation(self, instance):
        return instance.api_data()
