"""Request parsing and response documentation of the risk API.

Input serializers check shapes and types; the services own the rules (an expression is checked
by ``risk.expressions`` when saved). Outputs render through the models' ``api_data``.
"""

from __future__ import annotations

import django_filters as df
from rest_framework import serializers

from payments.api.filters import _with_created_range
from payments.api.serializers import Input, constant_field, limited_text

from ..expressions import EXPRESSION_MAX
from ..models import Dispute, ListEntry, Rule
from ..models.rules import POINTS_MAX
from ..services.disputes import EVIDENCE_FIELD_MAX

ACTION_HELP = (
    "request_otp: ask the OTP code first; allow: skip block and review; block: decline "
    "blocked_by_rule before the institution; review: authorize but hold for review"
)


class JsonIntegerField(serializers.IntegerField):
    """An integer given as a JSON integer: "7", 7.0 and true are refused, not converted."""

    default_error_messages = {"invalid": "Give a JSON integer."}

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


POINTS_HELP = (
    "Added to the model's score (0-100, clamped) when the rule matches in active mode; "
    "listed among the evaluation's top_features"
)


def _points(**kwargs) -> JsonIntegerField:
    return JsonIntegerField(
        min_value=-POINTS_MAX, max_value=POINTS_MAX, help_text=POINTS_HELP, **kwargs
    )


class RuleCreateInput(Input):
    name = limited_text(Rule, "name")
    expression = serializers.CharField(
        max_length=EXPRESSION_MAX,
        trim_whitespace=True,
        help_text="CEL, e.g. card_country != ip_country && amount > 100000",
    )
    action = serializers.ChoiceField(choices=Rule.Action.choices, help_text=ACTION_HELP)
    mode = serializers.ChoiceField(
        choices=Rule.Mode.choices,
        required=False,
        default=Rule.Mode.ACTIVE,
        help_text="shadow: evaluated and recorded on each payment, never acts",
    )
    points = _points(required=False, default=0)


class RuleUpdateInput(Input):
    name = limited_text(Rule, "name", required=False)
    expression = serializers.CharField(
        max_length=EXPRESSION_MAX, trim_whitespace=True, required=False
    )
    action = serializers.ChoiceField(choices=Rule.Action.choices, required=False)
    mode = serializers.ChoiceField(choices=Rule.Mode.choices, required=False)
    points = _points(required=False)


class RuleOutput(serializers.Serializer):
    id = serializers.CharField()
    object = constant_field("risk_rule")
    livemode = serializers.BooleanField()
    name = serializers.CharField()
    expression = serializers.CharField()
    action = serializers.ChoiceField(choices=Rule.Action.choices)
    mode = serializers.ChoiceField(choices=Rule.Mode.choices)
    points = serializers.IntegerField()
    version = serializers.IntegerField()
    created = serializers.DateTimeField()
    updated = serializers.DateTimeField()

    def to_representation(self, instance):
        return instance.api_data()


@_with_created_range
class RuleFilter(df.FilterSet):
    mode = df.ChoiceFilter(choices=Rule.Mode.choices)
    action = df.ChoiceFilter(choices=Rule.Action.choices)

    class Meta:
        model = Rule
        fields: list[str] = []


class ListEntryInput(Input):
    list = serializers.ChoiceField(choices=ListEntry.List.choices)
    kind = serializers.ChoiceField(choices=ListEntry.Kind.choices)
    value = limited_text(ListEntry, "value")
    reason = limited_text(ListEntry, "reason", required=False, allow_blank=True, default="")
    expires_at = serializers.DateTimeField(required=False, allow_null=True, default=None)


class ListEntryOutput(serializers.Serializer):
    id = serializers.CharField()
    object = constant_field("risk_list_entry")
    list = serializers.ChoiceField(choices=ListEntry.List.choices)
    kind = serializers.ChoiceField(choices=ListEntry.Kind.choices)
    value = serializers.CharField()
    reason = serializers.CharField(allow_null=True)
    source = serializers.ChoiceField(choices=ListEntry.Source.choices)
    expires_at = serializers.DateTimeField(allow_null=True)
    created = serializers.DateTimeField()

    def to_representation(self, instance):
        return instance.api_data()


@_with_created_range
class ListEntryFilter(df.FilterSet):
    list = df.ChoiceFilter(choices=ListEntry.List.choices)
    kind = df.ChoiceFilter(choices=ListEntry.Kind.choices)

    class Meta:
        model = ListEntry
        fields: list[str] = []


class BacktestInput(Input):
    since = serializers.DateTimeField(help_text="Payments screened at or after this time")
    until = serializers.DateTimeField(help_text="... and before this time")


def _evidence_text() -> serializers.CharField:
    return serializers.CharField(
        max_length=EVIDENCE_FIELD_MAX, required=False, allow_blank=True, trim_whitespace=False
    )


class DisputeEvidenceInput(Input):
    """Text evidence (``EVIDENCE_FIELDS``); each field replaces what was given before."""

    uncategorized_text = _evidence_text()
    customer_communication = _evidence_text()
    product_description = _evidence_text()
    shipping_tracking_number = _evidence_text()
    refund_policy = _evidence_text()
    customer_email_address = _evidence_text()


class DisputeEvidenceUpload(DisputeEvidenceInput):
    """The same text fields as form fields, and ``files`` (multipart/form-data)."""

    files = serializers.ListField(
        child=serializers.FileField(),
        required=False,
        help_text="PDF, PNG or JPEG (read from the content), at most 5 MB each, 10 per dispute",
    )


class EvidenceFileOutput(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()
    size = serializers.IntegerField(help_text="Bytes")
    type = serializers.ChoiceField(choices=["application/pdf", "image/png", "image/jpeg"])
    sha256 = serializers.CharField()
    created = serializers.DateTimeField()


class DisputeOutput(serializers.Serializer):
    id = serializers.CharField()
    object = constant_field("dispute")
    livemode = serializers.BooleanField()
    payment = serializers.CharField()
    amount = serializers.IntegerField()
    currency = serializers.CharField()
    fee = serializers.IntegerField()
    reason = serializers.ChoiceField(choices=Dispute.Reason.choices)
    status = serializers.ChoiceField(choices=Dispute.Status.choices)
    evidence = serializers.DictField(child=serializers.CharField())
    evidence_files = EvidenceFileOutput(
        many=True, help_text="Download each at /disputes/{id}/evidence/files/{file_id}"
    )
    evidence_due_by = serializers.DateTimeField()
    submitted_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    funds_reinstated = serializers.BooleanField()
    created = serializers.DateTimeField()

    def to_representation(self, instance):
        return instance.api_data()


@_with_created_range
class DisputeFilter(df.FilterSet):
    payment = df.CharFilter(
        field_name="payment__public_id", max_length=32, help_text="Disputes of this payment"
    )
    status = df.ChoiceFilter(choices=Dispute.Status.choices)

    class Meta:
        model = Dispute
        fields: list[str] = []
