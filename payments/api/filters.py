"""Query-string filters of the list endpoints (django-filter); a bad value is a 400."""

from __future__ import annotations

from datetime import UTC

import django_filters as df
from django import forms
from django_filters.fields import IsoDateTimeField

from payments.models import Event, Order, Payment, Refund


class UtcDateTimeField(IsoDateTimeField):
    """An ISO 8601 time turned into UTC; offsets or years the database cannot hold are a 400."""

    def to_python(self, value):
        parsed = super().to_python(value)
        if parsed is None:
            return None
        try:
            return parsed.astimezone(UTC)
        except (OverflowError, ValueError):
            raise forms.ValidationError("This time is out of range.", code="invalid") from None


class UtcDateTimeFilter(df.IsoDateTimeFilter):
    field_class = UtcDateTimeField


def _with_created_range(filterset):
    """Add ``created[gte]`` and ``created[lte]`` (names no Python attribute can have)."""
    for lookup in ("gte", "lte"):
        filterset.base_filters[f"created[{lookup}]"] = UtcDateTimeFilter(
            field_name="created", lookup_expr=lookup
        )
    return filterset


@_with_created_range
class OrderFilter(df.FilterSet):
    status = df.ChoiceFilter(choices=Order.Status.choices)
    reference = df.CharFilter(max_length=100)
    created_after = UtcDateTimeFilter(field_name="created", lookup_expr="gte")
    created_before = UtcDateTimeFilter(field_name="created", lookup_expr="lte")

    class Meta:
        model = Order
        fields: list[str] = []


@_with_created_range
class PaymentFilter(df.FilterSet):
    status = df.ChoiceFilter(choices=Payment.Status.choices)
    order = df.CharFilter(field_name="order__public_id", max_length=32, help_text="An order id")

    class Meta:
        model = Payment
        fields: list[str] = []


@_with_created_range
class RefundFilter(df.FilterSet):
    payment = df.CharFilter(
        field_name="payment__public_id", max_length=32, help_text="A payment id"
    )

    class Meta:
        model = Refund
        fields: list[str] = []


@_with_created_range
class EventFilter(df.FilterSet):
    type = df.CharFilter(max_length=64, help_text="e.g. payment.captured")

    class Meta:
        model = Event
        fields: list[str] = []
