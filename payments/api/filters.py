"""Query-string filters of the list endpoints (django-filter); a bad value is a 400."""

from __future__ import annotations

import django_filters as df

from payments.models import Event, Order, Payment, Refund


def _with_created_range(filterset):
    """Add ``created[gte]`` and ``created[lte]`` (names no Python attribute can have)."""
    for lookup in ("gte", "lte"):
        filterset.base_filters[f"created[{lookup}]"] = df.IsoDateTimeFilter(
            field_name="created", lookup_expr=lookup
        )
    return filterset


@_with_created_range
class OrderFilter(df.FilterSet):
    status = df.ChoiceFilter(choices=Order.Status.choices)
    reference = df.CharFilter(max_length=100)
    created_after = df.IsoDateTimeFilter(field_name="created", lookup_expr="gte")
    created_before = df.IsoDateTimeFilter(field_name="created", lookup_expr="lte")

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
