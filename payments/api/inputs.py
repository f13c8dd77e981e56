"""The building blocks of the API's request bodies: a body refusing unknown fields, amounts as
JSON integers, texts with their limit in the schema, and order line items."""

from __future__ import annotations

import functools
import itertools
from collections.abc import Mapping

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .exceptions import MAX_ERRORS

MAX_AMOUNT = 2**63 - 1


def _shown(name: object) -> str:
    """An unknown field's name as the answer names it, cut at 100 characters, with a NUL or a
    lone surrogate (a multipart field name may hold them) shown as U+FFFD: PostgreSQL's jsonb,
    where the answer is kept for the Idempotency-Key, refuses both."""
    return "".join(
        "\ufffd" if c == "\x00" or "\ud800" <= c <= "\udfff" else c for c in str(name)[:100]
    )


# A request body: a field the operation does not take is an error, not ignored. Ignored, a
# misspelt optional field (capture_mehtod) would leave its default in force without a word.
# Unknown fields are reported beside the other field errors. (A comment, not a docstring:
# drf-spectacular would describe every request body of the schema with it.)
class Input(serializers.Serializer):
    default_error_messages = {"unknown_field": "This operation does not take this field."}

    def to_internal_value(self, data):
        unknown = {}
        if isinstance(data, Mapping):
            error = serializers.ErrorDetail(
                self.error_messages["unknown_field"], code="unknown_field"
            )
            names = (_shown(name) for name in data if name not in self.fields)
            # No more than the answer lists (a body can hold 100000 keys).
            unknown = {name: [error] for name in itertools.islice(names, MAX_ERRORS)}
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            if unknown and isinstance(exc.detail, dict):
                exc.detail.update(unknown)
            raise
        if unknown:
            raise serializers.ValidationError(unknown)
        return value


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": MAX_AMOUNT})
class AmountField(serializers.Field):
    """A positive JSON integer in the currency's minor unit: no floats, strings or booleans."""

    default_error_messages = {
        "invalid": "The amount must be a JSON integer in the currency's minor unit (e.g. 1050).",
        "not_positive": "The amount must be greater than 0.",
        "too_large": "The amount is too large.",
    }

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        if data <= 0:
            self.fail("not_positive")
        if data > MAX_AMOUNT:
            self.fail("too_large")
        return data

    def to_representation(self, value):
        return value


def limited_text(
    model=None,
    name: str = "",
    *,
    limit: int = 0,
    base: type[serializers.CharField] = serializers.CharField,
    **kwargs,
) -> serializers.CharField:
    """A text field of at most ``limit`` characters, or ``model.name``'s ``max_length``: the
    schema shows the limit, the service checks it (one authority for every caller)."""
    limit = limit or model._meta.get_field(name).max_length
    return _limited_text_class(limit, base)(**kwargs)


@functools.cache
def _limited_text_class(limit: int, base: type[serializers.CharField]):
    schema = {"type": "string", "maxLength": limit}
    if issubclass(base, serializers.URLField):
        schema["format"] = "uri"
    return extend_schema_field(schema)(type(f"{base.__name__}{limit}", (base,), {}))


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": 100_000})
class QuantityField(AmountField):
    """A whole number of units, 1 to 100000: no floats, strings or booleans."""

    default_error_messages = {
        "invalid": "The quantity must be a JSON integer.",
        "not_positive": "The quantity must be at least 1.",
        "too_large": "The quantity is at most 100000.",
    }

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if value > 100_000:
            self.fail("too_large")
        return value


class LineItemInput(Input):
    name = limited_text(limit=200, help_text="What is sold, as the shopper reads it")
    quantity = QuantityField()
    unit_amount = AmountField(help_text="Price of one unit, in minor units")


class LineItemOutput(serializers.Serializer):
    name = serializers.CharField()
    quantity = serializers.IntegerField()
    unit_amount = serializers.IntegerField()
    amount = serializers.IntegerField(help_text="quantity × unit_amount")
