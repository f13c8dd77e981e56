"""Subscriptions and test clocks in the merchant API (serializers and views).

Looked up within the API key's merchant and mode: another merchant's subscription is a 404.
Mutations honour ``Idempotency-Key`` (``MerchantAPIView``).
"""

from __future__ import annotations

import django_filters as df
from drf_spectacular.utils import extend_schema, extend_schema_field, inline_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from payments.api.base import MerchantAPIView, MerchantListView, request_scope, validated
from payments.api.filters import _with_created_range
from payments.api.serializers import Input, NoInput, constant_field, limited_text

from .. import selectors
from ..dunning import policy_for
from ..models import BillingSettings, ChargeAttempt, Subscription, TestClock
from ..services import clocks as clock_services
from ..services import subscriptions as services
from ..services.merchant_settings import billing_settings_set
from .serializers import JsonIntegerField

# --- serializers -------------------------------------------------------------------------------


def inline_choice(choices, **kwargs) -> serializers.ChoiceField:
    """A choice field documented as an inline enum: several outputs have a ``status`` of their
    own, and a named component each would collide in the schema."""

    @extend_schema_field({"type": "string", "enum": [value for value, _ in choices]})
    class InlineChoiceField(serializers.ChoiceField):
        pass

    return InlineChoiceField(choices=choices, **kwargs)


class SubscriptionCreateInput(Input):
    customer = serializers.CharField(max_length=32, help_text="A customer id (cus_...)")
    price = serializers.CharField(max_length=32, help_text="A price id (price_...)")
    payment_method = serializers.CharField(
        max_length=32, help_text="The customer's card saved with off_session consent (pm_...)"
    )
    trial_days = JsonIntegerField(
        min_value=0, max_value=services.TRIAL_DAYS_MAX, required=False, allow_null=True
    )
    billing_cycle_anchor = serializers.DateTimeField(
        required=False,
        allow_null=True,
        help_text="A future time within one period: the first period is a prorated stub to it",
    )


class SubscriptionUpdateInput(Input):
    price = serializers.CharField(
        max_length=32,
        help_text="A price of the same currency and period; the change is prorated at once",
    )


class SubscriptionCancelInput(Input):
    at_period_end = serializers.BooleanField(required=False, default=False)


class SubscriptionOutput(serializers.Serializer):
    id = serializers.CharField()
    object = constant_field("subscription")
    livemode = serializers.BooleanField()
    status = inline_choice(Subscription.Status.choices)
    customer = serializers.CharField()
    price = serializers.CharField()
    payment_method = serializers.CharField(allow_null=True)
    billing_cycle_anchor = serializers.DateTimeField()
    current_period_start = serializers.DateTimeField()
    current_period_end = serializers.DateTimeField()
    next_billing_at = serializers.DateTimeField(allow_null=True)
    trial_end = serializers.DateTimeField(allow_null=True)
    cancel_at_period_end = serializers.BooleanField()
    canceled_at = serializers.DateTimeField(allow_null=True)
    ended_at = serializers.DateTimeField(allow_null=True)
    paused_at = serializers.DateTimeField(allow_null=True)
    credit_balance = serializers.IntegerField(help_text="Proration credit for next invoices")
    currency = serializers.CharField()
    latest_invoice = serializers.CharField(allow_null=True)
    start_date = serializers.DateTimeField()
    created = serializers.DateTimeField()

    def to_representation(self, instance):
        return instance.api_data()


class ChargeAttemptOutput(serializers.Serializer):
    id = serializers.CharField()
    object = constant_field("charge_attempt")
    invoice = serializers.CharField()
    number = serializers.IntegerField()
    status = inline_choice(ChargeAttempt.Status.choices)
    amount = serializers.IntegerField()
    currency = serializers.CharField()
    payment_method = serializers.CharField()
    payment = serializers.CharField(allow_null=True)
    decline_code = serializers.CharField(allow_null=True)
    decline_category = inline_choice(ChargeAttempt.Category.choices, allow_null=True)
    attempted_at = serializers.DateTimeField()


@_with_created_range
class SubscriptionFilter(df.FilterSet):
    customer = df.CharFilter(field_name="customer__public_id", max_length=32)
    price = df.CharFilter(field_name="price__public_id", max_length=32)
    status = df.ChoiceFilter(choices=Subscription.Status.choices)

    class Meta:
        model = Subscription
        fields: list[str] = []


class TestClockCreateInput(Input):
    frozen_time = serializers.DateTimeField()
    name = limited_text(TestClock, "name", required=False, allow_blank=True, default="")


class TestClockAdvanceInput(Input):
    frozen_time = serializers.DateTimeField(help_text="Later than the clock's time")


class TestClockOutput(serializers.Serializer):
    id = serializers.CharField()
    object = constant_field("test_clock")
    livemode = serializers.BooleanField()
    name = serializers.CharField(allow_null=True)
    frozen_time = serializers.DateTimeField()
    status = inline_choice(TestClock.Status.choices)
    advancing_to = serializers.DateTimeField(allow_null=True)
    created = serializers.DateTimeField()

    def to_representation(self, instance):
        return instance.api_data()


class TestClockFilter(df.FilterSet):
    class Meta:
        model = TestClock
        fields: list[str] = []


class BillingSettingsInput(Input):
    retry_schedule_days = serializers.ListField(
        child=JsonIntegerField(min_value=1, max_value=60),
        min_length=1,
        max_length=8,
        help_text="Days after the first failed charge at which it is tried again, increasing",
    )
    final_status = serializers.ChoiceField(choices=BillingSettings.FinalStatus.choices)


class BillingSettingsOutput(serializers.Serializer):
    object = constant_field("billing_settings")
    retry_schedule_days = serializers.ListField(child=serializers.IntegerField())
    final_status = serializers.ChoiceField(choices=BillingSettings.FinalStatus.choices)


def _settings_data(merchant) -> dict:
    policy = policy_for(merchant_id=merchant.pk)
    return {
        "object": "billing_settings",
        "retry_schedule_days": list(policy.retry_schedule_days),
        "final_status": policy.final_status,
    }


# --- views -------------------------------------------------------------------------------------


class BillingSettingsView(MerchantAPIView):
    @extend_schema(summary="Retrieve the dunning settings", responses=BillingSettingsOutput)
    def get(self, request: Request) -> Response:
        return Response(_settings_data(request.auth.merchant))

    @extend_schema(
        summary="Set the dunning settings",
        description=(
            "How a declined renewal that may pay later (`insufficient_funds`, "
            "`processing_error`) is retried, and what the subscription becomes when dunning "
            "gives up: `unpaid` (kept, revived by a payment) or `canceled`. Both modes."
        ),
        request=BillingSettingsInput,
        responses=BillingSettingsOutput,
    )
    def post(self, request: Request) -> Response:
        data = validated(BillingSettingsInput, request.data)
        billing_settings_set(merchant=request.auth.merchant, **data)
        return Response(_settings_data(request.auth.merchant))


def _subscription(request: Request, subscription_id: str) -> Subscription:
    return selectors.subscription_get(**request_scope(request), subscription_id=subscription_id)


class SubscriptionListCreateView(MerchantListView):
    serializer_class = SubscriptionOutput
    filterset_class = SubscriptionFilter
    selector = staticmethod(selectors.subscription_list)

    @extend_schema(summary="List subscriptions", operation_id="subscriptions_list")
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Create a subscription",
        description=(
            "The first period's invoice is charged at once to the saved card (off-session): "
            "the subscription is `active`, or `incomplete` if that payment failed (it expires "
            "after 23 hours). With a trial it is `trialing` and the first charge is at the "
            "trial's end. The time is the customer's test clock's, if it has one."
        ),
        operation_id="subscriptions_create",
        request=SubscriptionCreateInput,
        responses={201: SubscriptionOutput},
    )
    def post(self, request: Request) -> Response:
        data = validated(SubscriptionCreateInput, request.data)
        subscription = services.subscription_create(**request_scope(request), **data)
        return Response(subscription.api_data(), status=status.HTTP_201_CREATED)


class SubscriptionDetailView(MerchantAPIView):
    @extend_schema(summary="Retrieve a subscription", responses=SubscriptionOutput)
    def get(self, request: Request, subscription_id: str) -> Response:
        return Response(_subscription(request, subscription_id).api_data())

    @extend_schema(
        summary="Change a subscription's price",
        operation_id="subscriptions_update",
        description=(
            "Prorated at once: the unused part of the old price is credited, "
            "`round(old × (end − now) / (end − start))`, and the rest of the period is charged "
            "at the new price, `round(new × (end − now) / (end − start))`, each to the minor "
            "unit (half up). A positive difference is invoiced and charged now; a negative one "
            "is kept as `credit_balance` and taken off the next invoices."
        ),
        request=SubscriptionUpdateInput,
        responses=SubscriptionOutput,
    )
    def post(self, request: Request, subscription_id: str) -> Response:
        subscription = _subscription(request, subscription_id)
        data = validated(SubscriptionUpdateInput, request.data)
        changed = services.subscription_price_change(subscription=subscription, **data)
        return Response(changed.api_data())


class SubscriptionCancelView(MerchantAPIView):
    @extend_schema(
        summary="Cancel a subscription",
        description="Now (open invoices are voided) or, with `at_period_end`, when the period ends.",
        request=SubscriptionCancelInput,
        responses=SubscriptionOutput,
    )
    def post(self, request: Request, subscription_id: str) -> Response:
        subscription = _subscription(request, subscription_id)
        data = validated(SubscriptionCancelInput, request.data)
        canceled = services.subscription_cancel(subscription=subscription, **data)
        return Response(canceled.api_data())


class SubscriptionPauseView(MerchantAPIView):
    @extend_schema(
        summary="Pause an active subscription", request=NoInput, responses=SubscriptionOutput
    )
    def post(self, request: Request, subscription_id: str) -> Response:
        subscription = _subscription(request, subscription_id)
        validated(NoInput, request.data)
        return Response(services.subscription_pause(subscription=subscription).api_data())


class SubscriptionResumeView(MerchantAPIView):
    @extend_schema(
        summary="Resume a paused subscription",
        description="After the paused period's end, a new period starts now and is charged.",
        request=NoInput,
        responses=SubscriptionOutput,
    )
    def post(self, request: Request, subscription_id: str) -> Response:
        subscription = _subscription(request, subscription_id)
        validated(NoInput, request.data)
        return Response(services.subscription_resume(subscription=subscription).api_data())


class SubscriptionAttemptsView(MerchantAPIView):
    @extend_schema(
        summary="List a subscription's charge attempts, with decline codes",
        operation_id="subscription_charge_attempts_list",
        responses=inline_serializer(
            "ChargeAttemptList",
            fields={"object": constant_field("list"), "data": ChargeAttemptOutput(many=True)},
        ),
    )
    def get(self, request: Request, subscription_id: str) -> Response:
        attempts = selectors.charge_attempt_list(
            subscription=_subscription(request, subscription_id)
        )
        return Response({"object": "list", "data": [a.api_data() for a in attempts[:500]]})


class TestClockListCreateView(MerchantListView):
    serializer_class = TestClockOutput
    filterset_class = TestClockFilter
    selector = staticmethod(selectors.test_clock_list)

    @extend_schema(summary="List test clocks", operation_id="test_clocks_list")
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Create a test clock",
        description="Test mode only. Customers created with `test_clock` live in its time.",
        operation_id="test_clocks_create",
        request=TestClockCreateInput,
        responses={201: TestClockOutput},
    )
    def post(self, request: Request) -> Response:
        data = validated(TestClockCreateInput, request.data)
        clock = clock_services.test_clock_create(**request_scope(request), **data)
        return Response(clock.api_data(), status=status.HTTP_201_CREATED)


class TestClockDetailView(MerchantAPIView):
    @extend_schema(summary="Retrieve a test clock", responses=TestClockOutput)
    def get(self, request: Request, clock_id: str) -> Response:
        clock = selectors.test_clock_get(**request_scope(request), clock_id=clock_id)
        return Response(clock.api_data())


class TestClockAdvanceView(MerchantAPIView):
    @extend_schema(
        summary="Advance a test clock",
        description=(
            "Answers at once with status `advancing`; every renewal, retry, trial end and "
            "expiry due up to `frozen_time` then runs in order for the clock's customers only, "
            "and the clock is `ready` at its new time."
        ),
        request=TestClockAdvanceInput,
        responses=TestClockOutput,
    )
    def post(self, request: Request, clock_id: str) -> Response:
        clock = selectors.test_clock_get(**request_scope(request), clock_id=clock_id)
        data = validated(TestClockAdvanceInput, request.data)
        clock = clock_services.test_clock_advance(clock=clock, **data)
        return Response(clock.api_data())


for _view in (TestClockListCreateView, TestClockDetailView, TestClockAdvanceView):
    _view.__test__ = False
