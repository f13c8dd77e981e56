"""Customers and their saved payment methods in the merchant API.

Everything is looked up within the API key's merchant and mode: another merchant's customer
(or the other mode's, or a deleted one) is a 404 like an id that does not exist.
"""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from payments.api.base import MerchantAPIView, MerchantListView, request_scope, validated
from payments.api.serializers import NoInput, OtpMessageOutput, OtpVerifyInput, constant_field
from payments.errors import NotFound

from .. import selectors, services
from ..models import Customer
from ..services.verification import payment_method_verification_resend, payment_method_verify
from . import serializers as s


def _customer(request: Request, customer_id: str) -> Customer:
    return selectors.customer_get(**request_scope(request), customer_id=customer_id)


class CustomerListCreateView(MerchantListView):
    serializer_class = s.CustomerOutput
    filterset_class = s.CustomerFilter
    selector = staticmethod(selectors.customer_list)

    @extend_schema(summary="List customers", operation_id="customers_list")
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Create a customer",
        operation_id="customers_create",
        request=s.CustomerCreateInput,
        responses={201: s.CustomerOutput},
    )
    def post(self, request: Request) -> Response:
        data = validated(s.CustomerCreateInput, request.data)
        customer = services.customer_create(**request_scope(request), **data)
        return Response(customer.api_data(), status=status.HTTP_201_CREATED)


class CustomerDetailView(MerchantAPIView):
    @extend_schema(summary="Retrieve a customer", responses=s.CustomerOutput)
    def get(self, request: Request, customer_id: str) -> Response:
        return Response(_customer(request, customer_id).api_data())

    @extend_schema(
        summary="Update a customer",
        description="Only the fields given change.",
        request=s.CustomerUpdateInput,
        responses=s.CustomerOutput,
    )
    def patch(self, request: Request, customer_id: str) -> Response:
        customer = _customer(request, customer_id)
        data = validated(s.CustomerUpdateInput, request.data)
        return Response(services.customer_update(customer=customer, **data).api_data())

    @extend_schema(
        summary="Delete a customer",
        description=(
            "Cancels the customer's subscriptions not ended yet (each with"
            " customer.subscription.deleted, open invoices voided) and detaches its payment"
            " methods; invoices and payments stay. The customer is then a 404."
        ),
        responses=s.CustomerOutput,
    )
    def delete(self, request: Request, customer_id: str) -> Response:
        validated(NoInput, request.data)
        customer = services.customer_delete(customer=_customer(request, customer_id))
        return Response(customer.api_data())


class CustomerPaymentMethodsView(MerchantAPIView):
    @extend_schema(
        summary="List a customer's saved payment methods",
        operation_id="customer_payment_methods_list",
        responses=inline_serializer(
            "SavedPaymentMethodList",
            fields={
                "object": constant_field("list"),
                "data": s.SavedPaymentMethodOutput(many=True),
            },
        ),
    )
    def get(self, request: Request, customer_id: str) -> Response:
        methods = selectors.payment_method_list(customer=_customer(request, customer_id))
        # A customer keeps few cards: the answer is bounded without a cursor.
        return Response({"object": "list", "data": [m.api_data() for m in methods[:100]]})

    @extend_schema(
        summary="Save a card for a customer",
        description=(
            "The card is validated as for a payment (the CVC is checked and never stored), with "
            "the customer's consent: the text shown, their IP and the usage (`off_session` lets "
            "the merchant charge it without them). Saving a card the customer already saved "
            "returns that method with 200; a new one is 201. When the card's issuer wants its "
            "holder verified, the method is `requires_action` (it cannot be charged) and "
            "`next_action` says where the code went and where to send it "
            "(`POST .../payment-methods/{id}/otp`); the right code makes it `active`."
        ),
        operation_id="customer_payment_methods_create",
        request=s.PaymentMethodCreateInput,
        responses={201: s.SavedPaymentMethodOutput, 200: s.SavedPaymentMethodOutput},
    )
    def post(self, request: Request, customer_id: str) -> Response:
        customer = _customer(request, customer_id)
        data = validated(s.PaymentMethodCreateInput, request.data)
        consent = data["consent"]
        method, created = services.payment_method_attach(
            customer=customer,
            **data["card"],
            consent_text=consent["text"],
            consent_ip=consent["ip"],
            consent_usage=consent["usage"],
        )
        return Response(
            method.api_data(), status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )


class CustomerPaymentMethodDetailView(MerchantAPIView):
    def _get(self, request: Request, customer_id: str, payment_method_id: str):
        return selectors.payment_method_get(
            customer=_customer(request, customer_id), payment_method_id=payment_method_id
        )

    @extend_schema(summary="Retrieve a saved payment method", responses=s.SavedPaymentMethodOutput)
    def get(self, request: Request, customer_id: str, payment_method_id: str) -> Response:
        return Response(self._get(request, customer_id, payment_method_id).api_data())

    @extend_schema(
        summary="Detach a saved payment method",
        description="The method can no longer be paid with; saving the card again makes a new one.",
        responses=s.SavedPaymentMethodOutput,
    )
    def delete(self, request: Request, customer_id: str, payment_method_id: str) -> Response:
        validated(NoInput, request.data)
        method = self._get(request, customer_id, payment_method_id)
        return Response(services.payment_method_detach(method=method).api_data())


def _method(request: Request, customer_id: str, payment_method_id: str):
    return selectors.payment_method_get(
        customer=_customer(request, customer_id), payment_method_id=payment_method_id
    )


class CustomerPaymentMethodOtpView(MerchantAPIView):
    @extend_schema(
        summary="Verify a saved card with the holder's code",
        description=(
            "For a method `requires_action`: the right code makes it `active`. A wrong code is a "
            "400 `otp_invalid` with `attempts_remaining`; an expired one `otp_expired`; the last "
            "allowed wrong code detaches the method (400 `authentication_failed`: save the card "
            "again). Limits are those of a payment's code."
        ),
        request=OtpVerifyInput,
        responses=s.SavedPaymentMethodOutput,
    )
    def post(self, request: Request, customer_id: str, payment_method_id: str) -> Response:
        code = validated(OtpVerifyInput, request.data)["code"]
        method = _method(request, customer_id, payment_method_id)
        return Response(payment_method_verify(method=method, code=code).api_data())


class CustomerPaymentMethodOtpResendView(MerchantAPIView):
    @extend_schema(
        summary="Send the holder a new code for a saved card",
        request=None,
        responses=s.SavedPaymentMethodOutput,
    )
    def post(self, request: Request, customer_id: str, payment_method_id: str) -> Response:
        validated(NoInput, request.data)
        method = _method(request, customer_id, payment_method_id)
        return Response(payment_method_verification_resend(method=method).api_data())


class CustomerPaymentMethodOtpMessagesView(MerchantAPIView):
    @extend_schema(
        summary="Read the last code sent for a saved card (sandbox)",
        responses=inline_serializer(
            "PaymentMethodOtpMessageList",
            fields={"object": constant_field("list"), "data": OtpMessageOutput(many=True)},
        ),
    )
    def get(self, request: Request, customer_id: str, payment_method_id: str) -> Response:
        if request.auth.livemode or not settings.PAYMENTS_SANDBOX:
            raise NotFound("The sandbox is only available with a test API key.")
        method = _method(request, customer_id, payment_method_id)
        verification = getattr(method, "verification", None)
        message = verification.message if verification is not None else None
        data = [OtpMessageOutput(message).data] if message is not None else []
        return Response({"object": "list", "data": data})


class PriceListCreateView(MerchantListView):
    serializer_class = s.PriceOutput
    filterset_class = s.PriceFilter
    selector = staticmethod(selectors.price_list)

    @extend_schema(summary="List prices", operation_id="prices_list")
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Create a price",
        description="A period is `interval_count` intervals, at most about a year.",
        operation_id="prices_create",
        request=s.PriceCreateInput,
        responses={201: s.PriceOutput},
    )
    def post(self, request: Request) -> Response:
        data = validated(s.PriceCreateInput, request.data)
        price = services.price_create(**request_scope(request), **data)
        return Response(price.api_data(), status=status.HTTP_201_CREATED)


class PriceDetailView(MerchantAPIView):
    @extend_schema(summary="Retrieve a price", responses=s.PriceOutput)
    def get(self, request: Request, price_id: str) -> Response:
        price = selectors.price_get(**request_scope(request), price_id=price_id)
        return Response(price.api_data())


class InvoiceListView(MerchantListView):
    """The invoices list; the invoicing app's view adds ``POST`` (drafts) on the same path."""

    serializer_class = s.InvoiceOutput
    filterset_class = s.InvoiceFilter
    selector = staticmethod(selectors.invoice_list)

    @extend_schema(
        summary="List invoices",
        description="Filter by `customer`, `subscription` or `status`.",
        operation_id="invoices_list",
    )
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)


class InvoiceDetailView(MerchantAPIView):
    @extend_schema(summary="Retrieve an invoice", responses=s.InvoiceOutput)
    def get(self, request: Request, invoice_id: str) -> Response:
        invoice = selectors.invoice_get(**request_scope(request), invoice_id=invoice_id)
        return Response(invoice.api_data())
