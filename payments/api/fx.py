"""The FX endpoints of the merchant API: reference rates as of a time, and quotes that lock one.

``fx`` owns rates and quotes; it sits below ``payments`` (it imports no app above it), so its
REST surface is served here with the API's keys, throttles, idempotency and problem answers.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from fx import rates, services
from fx.arithmetic import rate_text
from fx.errors import RateUnavailable
from fx.models import Quote

from ..errors import NotFound, ValidationFailed
from ..money import CURRENCIES
from ..representations import iso_timestamp
from ..services.fx import fx_errors_as_validation, fx_terms
from ..validation import FieldError
from .base import MerchantAPIView, refuse_unknown_parameters, request_scope, validated
from .serializers import AmountField, Input


def _currency_field(**kwargs) -> serializers.CharField:
    # Not ``CurrencyField``: its enum would be named after each field using it in the schema.
    return serializers.CharField(min_length=3, max_length=3, **kwargs)


class RateQuery(Input):
    base = _currency_field(help_text="ISO 4217 code, e.g. EUR")
    quote = _currency_field(help_text="ISO 4217 code, e.g. USD")
    at = serializers.CharField(required=False, help_text="ISO 8601 instant or date; now by default")

    def validate_at(self, value: str) -> datetime:
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise serializers.ValidationError(
                "Give an ISO 8601 date or instant, e.g. 2026-10-30 or 2026-10-31T12:00:00Z.",
                code="invalid",
            ) from None
        if len(value) == 10:  # a date: its fixing, whenever in the day
            return datetime.combine(date.fromisoformat(value), time.max, tzinfo=UTC)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class RateOutput(serializers.Serializer):
    object = serializers.CharField()
    base = serializers.CharField()
    quote = serializers.CharField()
    rate = serializers.CharField(help_text="1 base in quote, a decimal string")
    fixing_date = serializers.DateField()
    source = serializers.CharField()
    stale = serializers.BooleanField(help_text="The fixing is more than 4 days old")


class QuoteInput(Input):
    from_currency = _currency_field(help_text="ISO 4217 code of the amount")
    to_currency = _currency_field(help_text="ISO 4217 code to convert into")
    amount = AmountField(help_text="Minor units of from_currency")
    lock = serializers.ChoiceField(choices=Quote.Lock.choices, default=Quote.Lock.FIVE_MINUTES)


class QuoteOutput(serializers.Serializer):
    id = serializers.CharField()
    object = serializers.CharField()
    livemode = serializers.BooleanField()
    from_currency = serializers.CharField()
    to_currency = serializers.CharField()
    amount = serializers.IntegerField()
    rate = serializers.CharField(help_text="Reference rate, without the markup")
    converted_amount = serializers.IntegerField(help_text="Minor units of to_currency")
    markup_bps = serializers.IntegerField()
    markup_amount = serializers.IntegerField(help_text="Charged as its own fee at settlement")
    fixing_date = serializers.DateField()
    source = serializers.CharField()
    lock = serializers.CharField()
    expires_at = serializers.DateTimeField()
    created = serializers.DateTimeField()


def quote_data(quote: Quote) -> dict:
    return {
        "id": quote.public_id,
        "object": "fx_quote",
        "livemode": quote.livemode,
        "from_currency": quote.from_currency,
        "to_currency": quote.to_currency,
        "amount": quote.amount,
        "rate": rate_text(quote.rate),
        "converted_amount": quote.converted_amount,
        "markup_bps": quote.markup_bps,
        "markup_amount": quote.markup_amount,
        "fixing_date": quote.fixing_date.isoformat(),
        "source": quote.source,
        "lock": quote.lock,
        "expires_at": iso_timestamp(quote.expires_at),
        "created": iso_timestamp(quote.created),
    }


class FxRateView(MerchantAPIView):
    @extend_schema(
        summary="Retrieve a reference rate as of a time",
        description="The last fixing on or before `at` (a weekend or holiday: the business "
        "day's before), crossed through EUR.",
        parameters=[RateQuery],
        responses=RateOutput,
    )
    def get(self, request: Request) -> Response:
        refuse_unknown_parameters(request, known=set(RateQuery().fields))
        query = validated(RateQuery, request.query_params.dict())
        base, quote = query["base"].upper(), query["quote"].upper()
        errors = [
            FieldError(field, "invalid_currency", f"{code!r} is not a currency we support.")
            for field, code in (("base", base), ("quote", quote))
            if code not in CURRENCIES
        ]
        if errors:
            raise ValidationFailed(errors)
        try:
            rate = rates.rate_as_of(base, quote, query.get("at"))
        except RateUnavailable as err:
            raise NotFound(err.message, code=err.code) from None
        return Response(rate.api_data())


class FxQuoteCreateView(MerchantAPIView):
    @extend_schema(
        summary="Lock a rate: create an FX quote",
        operation_id="fx_quotes_create",
        request=QuoteInput,
        responses={201: QuoteOutput},
    )
    def post(self, request: Request) -> Response:
        data = validated(QuoteInput, request.data)
        scope = request_scope(request)
        with fx_errors_as_validation():
            quote = services.quote_create(
                terms=fx_terms(scope["merchant"]),
                livemode=scope["livemode"],
                from_currency=data["from_currency"].upper(),
                to_currency=data["to_currency"].upper(),
                amount=data["amount"],
                lock=data["lock"],
            )
        return Response(quote_data(quote), status=status.HTTP_201_CREATED)
