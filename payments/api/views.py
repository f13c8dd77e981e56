"""Merchant API views: parse with a serializer, call one service or selector, render.

Every object is looked up within the API key's merchant and mode, so another merchant's object
(or the other mode's) is a 404 like an id that does not exist.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from payments import selectors
from payments.errors import NotFound, SandboxTestModeOnly, ValidationFailed
from payments.representations import order_data, payment_data
from payments.services import (
    MethodInput,
    bank_transfer_simulate,
    order_cancel,
    order_create,
    otp_resend,
    otp_verify,
    payment_cancel,
    payment_capture,
    payment_create,
    payment_create_saved,
    payment_create_with_order,
    refund_create,
    sandbox_reset,
)
from payments.validation import FieldError

from . import filters
from . import serializers as s
from .base import (
    PROBLEM_CONTENT_TYPE,
    MerchantAPIView,
    MerchantListView,
    problem,
    refuse_unknown_parameters,
    request_scope,
    validated,
)

# --- orders ------------------------------------------------------------------------------------


class OrderListCreateView(MerchantListView):
    serializer_class = s.OrderOutput
    filterset_class = filters.OrderFilter
    selector = staticmethod(selectors.order_list)

    @extend_schema(summary="List orders", operation_id="orders_list")
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Create an order",
        operation_id="orders_create",
        request=s.OrderCreateInput,
        responses={201: s.OrderOutput},
    )
    def post(self, request: Request) -> Response:
        data = validated(s.OrderCreateInput, request.data)
        order = order_create(**request_scope(request), **data)
        output = s.OrderOutput(order, context={"payments": []})  # a new order has none
        return Response(output.data, status=status.HTTP_201_CREATED)


class OrderDetailView(MerchantAPIView):
    @extend_schema(summary="Retrieve an order", responses=s.OrderOutput)
    def get(self, request: Request, order_id: str) -> Response:
        order = selectors.order_get(**request_scope(request), order_id=order_id)
        return Response(s.OrderOutput(order).data)


class OrderCancelView(MerchantAPIView):
    @extend_schema(summary="Cancel a pending order", request=None, responses=s.OrderOutput)
    def post(self, request: Request, order_id: str) -> Response:
        validated(s.NoInput, request.data)
        order = selectors.order_get(**request_scope(request), order_id=order_id)
        return Response(s.OrderOutput(order_cancel(order=order)).data)


def _payment_method_errors(err: ValidationFailed) -> ValidationFailed:
    """Name card and wallet field errors by their path in the request body."""
    errors = [
        FieldError(f"payment_method.{e.field}", e.code, e.message)
        if e.field.startswith(("card.", "wallet.", "type"))
        else e
        for e in err.errors
    ]
    return ValidationFailed(errors, err.message)


class OrderPaymentCreateView(MerchantAPIView):
    @extend_schema(
        summary="Pay an order",
        description=(
            "Authorize a payment for the order. A decline is a 201 with status `declined` and "
            "`decline_code`; `next_action` tells when an OTP code or a bank transfer is needed. "
            "After too many wrong OTP codes on the order or card (or codes sent to one phone) "
            "the payment is declined `authentication_locked` for a while. "
            "Type `saved` with the `id` of a customer's saved card (pm_...) charges it without "
            "the customer and without a CVC: the customer must have agreed to `off_session` use."
        ),
        request=s.PaymentCreateInput,
        responses={201: s.PaymentOutput},
    )
    def post(self, request: Request, order_id: str) -> Response:
        method = validated(s.PaymentCreateInput, request.data)["payment_method"]
        order = selectors.order_get(
            **request_scope(request), order_id=order_id, with_payments=False
        )
        details = method.get("card") or method.get("wallet") or {}
        try:
            if method["type"] == s.SAVED:
                payment = payment_create_saved(order=order, method_id=method["id"])
            else:
                payment = payment_create(
                    order=order, method=MethodInput(type=method["type"], **details)
                )
        except ValidationFailed as err:
            raise _payment_method_errors(err) from None
        return Response(s.PaymentOutput(payment).data, status=status.HTTP_201_CREATED)


# --- payments ----------------------------------------------------------------------------------


class PaymentListView(MerchantListView):
    serializer_class = s.PaymentOutput
    filterset_class = filters.PaymentFilter
    selector = staticmethod(selectors.payment_list)

    @extend_schema(summary="List payments", operation_id="payments_list")
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Pay in one call",
        operation_id="payments_create",
        description=(
            "Create an order (the fields of *Create an order*) and pay it with `payment_method` "
            "(as in *Pay an order*) in one request and one Idempotency-Key. Every error of the "
            "order's fields and of the method is answered together and nothing is written; "
            "a decline is a 201 with the payment `declined`, its order still payable (e.g. on "
            "its `checkout_url`). With `capture_method` manual the payment is left authorized."
        ),
        request=s.OrderPaymentCreateInput,
        responses={201: s.OrderPaymentOutput},
    )
    def post(self, request: Request) -> Response:
        data = validated(s.OrderPaymentCreateInput, request.data)
        method = data.pop("payment_method")
        details = method.get("card") or method.get("wallet") or {}
        try:
            if method["type"] == s.SAVED:
                payment = payment_create_with_order(
                    **request_scope(request), saved_method=method["id"], **data
                )
            else:
                payment = payment_create_with_order(
                    **request_scope(request),
                    method=MethodInput(type=method["type"], **details),
                    **data,
                )
        except ValidationFailed as err:
            raise _payment_method_errors(err) from None
        body = {
            "object": "order_payment",
            "payment": payment_data(payment),
            "order": order_data(payment.order, payments=[payment]),
        }
        return Response(body, status=status.HTTP_201_CREATED)


class PaymentDetailView(MerchantAPIView):
    @extend_schema(summary="Retrieve a payment", responses=s.PaymentOutput)
    def get(self, request: Request, payment_id: str) -> Response:
        payment = selectors.payment_get(**request_scope(request), payment_id=payment_id)
        return Response(s.PaymentOutput(payment).data)


class PaymentOtpVerifyView(MerchantAPIView):
    @extend_schema(
        summary="Submit the OTP code",
        description=(
            "A wrong code is a 400 with code `otp_invalid` and `attempts_remaining`; after the "
            "last wrong try the payment is returned declined with `authentication_failed`. "
            "Wrong codes are also capped per order (5) and per card or wallet (10) within an "
            "hour, across payments: past a cap the payment is returned declined with "
            "`authentication_locked`, and the order's (or card's) new payments are declined "
            "with that code at once, without a new code being sent."
        ),
        request=s.OtpVerifyInput,
        responses=s.PaymentOutput,
    )
    def post(self, request: Request, payment_id: str) -> Response:
        code = validated(s.OtpVerifyInput, request.data)["code"]
        payment = selectors.payment_get(**request_scope(request), payment_id=payment_id)
        return Response(s.PaymentOutput(otp_verify(payment_pk=payment.pk, code=code)).data)


class PaymentOtpResendView(MerchantAPIView):
    @extend_schema(summary="Send a new OTP code", request=None, responses=s.PaymentOutput)
    def post(self, request: Request, payment_id: str) -> Response:
        validated(s.NoInput, request.data)
        payment = selectors.payment_get(**request_scope(request), payment_id=payment_id)
        otp_resend(payment_pk=payment.pk)
        payment = selectors.payment_get(**request_scope(request), payment_id=payment_id)
        return Response(s.PaymentOutput(payment).data)


class PaymentCaptureView(MerchantAPIView):
    @extend_schema(
        summary="Capture an authorized payment", request=s.CaptureInput, responses=s.PaymentOutput
    )
    def post(self, request: Request, payment_id: str) -> Response:
        data = validated(s.CaptureInput, request.data)
        payment = payment_capture(**request_scope(request), payment_id=payment_id, **data)
        return Response(s.PaymentOutput(payment).data)


class PaymentCancelView(MerchantAPIView):
    @extend_schema(
        summary="Cancel (void) a payment",
        description="Voids an authorization, or abandons an OTP challenge or a pending transfer.",
        request=None,
        responses=s.PaymentOutput,
    )
    def post(self, request: Request, payment_id: str) -> Response:
        validated(s.NoInput, request.data)
        payment = payment_cancel(**request_scope(request), payment_id=payment_id)
        return Response(s.PaymentOutput(payment).data)


# --- refunds -----------------------------------------------------------------------------------


class PaymentRefundCreateView(MerchantAPIView):
    money_moving = True

    @extend_schema(
        summary="Refund a captured payment",
        description="The refund is created `pending`; the institution's answer arrives as an event.",
        request=s.RefundCreateInput,
        responses={201: s.RefundOutput},
    )
    def post(self, request: Request, payment_id: str) -> Response:
        data = validated(s.RefundCreateInput, request.data)
        refund = refund_create(**request_scope(request), payment_id=payment_id, **data)
        return Response(s.RefundOutput(refund).data, status=status.HTTP_201_CREATED)


class RefundListView(MerchantListView):
    serializer_class = s.RefundOutput
    filterset_class = filters.RefundFilter
    selector = staticmethod(selectors.refund_list)

    @extend_schema(summary="List refunds", operation_id="refunds_list")
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)


class RefundDetailView(MerchantAPIView):
    @extend_schema(summary="Retrieve a refund", responses=s.RefundOutput)
    def get(self, request: Request, refund_id: str) -> Response:
        refund = selectors.refund_get(**request_scope(request), refund_id=refund_id)
        return Response(s.RefundOutput(refund).data)


# --- events ------------------------------------------------------------------------------------


class EventListView(MerchantListView):
    serializer_class = s.EventOutput
    filterset_class = filters.EventFilter
    selector = staticmethod(selectors.event_list)

    @extend_schema(summary="List events", operation_id="events_list")
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)


class EventDetailView(MerchantAPIView):
    @extend_schema(summary="Retrieve an event", responses=s.EventOutput)
    def get(self, request: Request, event_id: str) -> Response:
        event = selectors.event_get(**request_scope(request), event_id=event_id)
        return Response(s.EventOutput(event).data)


# --- sandbox (test keys only) ------------------------------------------------------------------


class SandboxView(MerchantAPIView):
    """Tools for test mode; a live key (or a platform not in sandbox mode) gets 404."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if request.auth.livemode or not settings.PAYMENTS_SANDBOX:
            raise NotFound("The sandbox is only available with a test API key.")


class SandboxOtpMessagesView(SandboxView):
    @extend_schema(
        summary="Read the OTP messages sent for a payment (sandbox)",
        parameters=[
            OpenApiParameter("payment", str, required=True, description="A payment id (pay_...)")
        ],
        responses=inline_serializer(
            "OtpMessageList",
            fields={
                "object": s.constant_field("list"),
                "data": s.OtpMessageOutput(many=True),
            },
        ),
    )
    def get(self, request: Request) -> Response:
        refuse_unknown_parameters(request, known={"payment"})
        payment_id = validated(s.OtpMessagesQuery, request.query_params)["payment"]
        payment = selectors.payment_get(**request_scope(request), payment_id=payment_id)
        messages = selectors.outbox_message_list(**request_scope(request)).filter(payment=payment)[
            :50
        ]
        return Response({"object": "list", "data": [s.OtpMessageOutput(m).data for m in messages]})


class SandboxBankTransferView(SandboxView):
    @extend_schema(
        summary="Simulate the shopper's bank transfer arriving (sandbox)",
        request=s.BankTransferSimulateInput,
        responses=s.PaymentOutput,
    )
    def post(self, request: Request) -> Response:
        data = validated(s.BankTransferSimulateInput, request.data)
        selectors.payment_get_by_transfer_reference(
            **request_scope(request), reference=data["reference"]
        )
        payment = bank_transfer_simulate(
            transfer_reference=data["reference"],
            amount=data["amount"],
            merchant=request.auth.merchant,
        )
        return Response(s.PaymentOutput(payment).data)


class SandboxResetView(SandboxView):
    def initial(self, request, *args, **kwargs):
        # A live key asking to reset is told why, not answered 404 like the other sandbox tools:
        # the call is destructive, and a caller who mixed up keys must learn it.
        MerchantAPIView.initial(self, request, *args, **kwargs)
        if not settings.PAYMENTS_SANDBOX:
            raise NotFound("The sandbox is only available with a test API key.")
        if request.auth.livemode:
            raise SandboxTestModeOnly()

    @extend_schema(
        summary="Reset the sandbox accounts to their published balances (sandbox)",
        description=(
            "Cancels the merchant's authorized test payments (releasing their holds) and restores "
            "every sandbox card and wallet of the merchant to its published balance. Other "
            "merchants' sandboxes are untouched. A live key gets 403 `sandbox_test_mode_only`."
        ),
        request=None,
        responses=s.SandboxResetOutput,
    )
    def post(self, request: Request) -> Response:
        refuse_unknown_parameters(request, known=set())
        validated(s.NoInput, request.data)
        done = sandbox_reset(merchant=request.auth.merchant)
        return Response(s.SandboxResetOutput(done).data)


# --- no such endpoint --------------------------------------------------------------------------


@csrf_exempt  # like every API view: a client sends no CSRF token, and needs a 404 here
def api_not_found(request: HttpRequest, *args, **kwargs) -> JsonResponse:
    """Answer a path under ``/api/`` that no API view serves with a 404 problem, not a page."""
    body = problem(
        status=404,
        code="resource_missing",
        detail="No API endpoint has this path; the endpoints are listed at /api/v1/docs.",
    )
    return JsonResponse(body, status=404, content_type=PROBLEM_CONTENT_TYPE)
