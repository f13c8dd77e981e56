"""Bulk payouts and bulk charges in the merchant API.

Creating a batch answers 201 with its row-by-row report (refused rows under ``rejected``); the
same batch reference again answers 200 with the batch made first and creates nothing. Approval
of a payout batch is not in the API: a second person approves it in the back office.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from payments.api.base import MerchantAPIView, MerchantListView, request_scope, validated
from payments.api.serializers import NoInput

from .. import selectors, services
from ..models import PayoutItem
from . import serializers as s

_CREATED_OR_EXISTING = (
    "201 when created; 200 with the existing batch when the reference was sent before."
)


class PayoutBatchListCreateView(MerchantListView):
    money_moving = True
    serializer_class = s.PayoutBatchOutput
    filterset_class = s.PayoutBatchFilter
    selector = staticmethod(selectors.payout_batch_list)

    @extend_schema(summary="List payout batches", operation_id="payout_batches_list")
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Prepare a payout batch",
        description=(
            "Every row is checked (IBAN, amount, currency held, balance, duplicate reference); "
            "refused rows are listed under `rejected`, the others await approval in the back "
            f"office by a second person. {_CREATED_OR_EXISTING}"
        ),
        operation_id="payout_batches_create",
        request=s.PayoutBatchInput,
        responses={201: s.PayoutBatchOutput, 200: s.PayoutBatchOutput},
    )
    def post(self, request: Request) -> Response:
        data = validated(s.PayoutBatchInput, request.data)
        batch, created = services.payout_batch_create(**request_scope(request), **data)
        code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(batch.api_data(), status=code)


class PayoutBatchDetailView(MerchantAPIView):
    @extend_schema(summary="Retrieve a payout batch", responses=s.PayoutBatchOutput)
    def get(self, request: Request, batch_id: str) -> Response:
        batch = selectors.payout_batch_get(**request_scope(request), batch_id=batch_id)
        return Response(batch.api_data())


class PayoutItemListView(MerchantListView):
    serializer_class = s.PayoutItemOutput
    filterset_class = s.PayoutItemFilter

    @extend_schema(summary="List a payout batch's payouts", operation_id="payout_batch_items_list")
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no API key
            return PayoutItem.objects.none()
        batch = selectors.payout_batch_get(
            **request_scope(self.request), batch_id=self.kwargs["batch_id"]
        )
        return selectors.payout_item_list(batch=batch)


class ChargeBatchListCreateView(MerchantListView):
    money_moving = True
    serializer_class = s.ChargeBatchOutput
    filterset_class = s.ChargeBatchFilter
    selector = staticmethod(selectors.charge_batch_list)

    @extend_schema(summary="List charge batches", operation_id="charge_batches_list")
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Prepare a charge batch",
        description=(
            "Every row is checked (customer, saved card with off_session consent, amount, "
            "currency, duplicate reference) and nothing is charged: refused rows are listed "
            f"under `rejected`; start the batch to charge the others. {_CREATED_OR_EXISTING}"
        ),
        operation_id="charge_batches_create",
        request=s.ChargeBatchInput,
        responses={201: s.ChargeBatchOutput, 200: s.ChargeBatchOutput},
    )
    def post(self, request: Request) -> Response:
        data = validated(s.ChargeBatchInput, request.data)
        batch, created = services.charge_batch_create(**request_scope(request), **data)
        code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(batch.api_data(), status=code)


class ChargeBatchDetailView(MerchantAPIView):
    @extend_schema(
        summary="Retrieve a charge batch and its progress", responses=s.ChargeBatchOutput
    )
    def get(self, request: Request, batch_id: str) -> Response:
        batch = selectors.charge_batch_get(**request_scope(request), batch_id=batch_id)
        return Response(batch.api_data())


class ChargeBatchStartView(MerchantAPIView):
    money_moving = True

    @extend_schema(
        summary="Start charging a batch",
        description="Charges run in the background; follow `progress`. Starting again is harmless.",
        request=NoInput,
        responses={202: s.ChargeBatchOutput},
    )
    def post(self, request: Request, batch_id: str) -> Response:
        validated(NoInput, request.data)
        batch = selectors.charge_batch_get(**request_scope(request), batch_id=batch_id)
        batch = services.charge_batch_start(batch=batch)
        return Response(batch.api_data(), status=status.HTTP_202_ACCEPTED)
