"""Settlement API: the key's merchant's batches (test or live mode) and their CSV reports."""

from __future__ import annotations

import django_filters as df
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from payments.api.base import MerchantAPIView, MerchantListView, request_scope
from settlement import selectors
from settlement.models import SettlementBatch
from settlement.reports import report_response

from .serializers import SettlementOutput


class SettlementFilter(df.FilterSet):
    status = df.ChoiceFilter(choices=SettlementBatch.Status.choices)
    currency = df.CharFilter(max_length=3)
    payout_date_after = df.DateFilter(field_name="payout_date", lookup_expr="gte")
    payout_date_before = df.DateFilter(field_name="payout_date", lookup_expr="lte")

    class Meta:
        model = SettlementBatch
        fields: list[str] = []


class SettlementListView(MerchantListView):
    serializer_class = SettlementOutput
    filterset_class = SettlementFilter
    selector = staticmethod(selectors.settlement_list)

    @extend_schema(summary="List settlements", operation_id="settlements_list")
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)


class SettlementDetailView(MerchantAPIView):
    @extend_schema(summary="Retrieve a settlement", responses=SettlementOutput)
    def get(self, request: Request, settlement_id: str) -> Response:
        batch = selectors.settlement_get(**request_scope(request), settlement_id=settlement_id)
        return Response(SettlementOutput(batch).data)


class CSVRenderer(BaseRenderer):
    """Lets clients ask for ``text/csv``; only error documents pass through it, as JSON."""

    media_type = "text/csv"
    format = "csv"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return JSONRenderer().render(data)


class SettlementReportView(MerchantAPIView):
    renderer_classes = [JSONRenderer, CSVRenderer]

    @extend_schema(
        summary="Download a settlement's report (CSV)",
        responses={
            (200, "text/csv"): OpenApiResponse(
                OpenApiTypes.STR,
                description="One line per payment and refund with fee and net, then totals.",
            )
        },
    )
    def get(self, request: Request, settlement_id: str):
        batch = selectors.settlement_get(**request_scope(request), settlement_id=settlement_id)
        return report_response(batch)
