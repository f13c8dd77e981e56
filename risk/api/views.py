"""Risk rules and lists in the merchant API, scoped to the API key's merchant and mode."""

from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.parsers import MultiPartParser
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from payments.api.base import MerchantAPIView, MerchantListView, request_scope, validated
from payments.api.parsers import StrictJSONParser
from payments.api.serializers import NoInput
from payments.errors import DomainError

from .. import selectors, services
from ..services import disputes
from ..services.backtests import backtest_run
from ..services.evidence import MAX_FILE_BYTES, MAX_FILES, Upload, evidence_file_response
from . import serializers as s


class RequestTooLarge(DomainError):
    code = "payload_too_large"
    http_status = 413
    title = "Request too large"


class RuleListCreateView(MerchantListView):
    serializer_class = s.RuleOutput
    filterset_class = s.RuleFilter
    selector = staticmethod(selectors.rule_list)

    @extend_schema(summary="List risk rules", operation_id="risk_rules_list")
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Create a risk rule",
        description=(
            "The expression (CEL) is checked when saved: an unknown feature, a syntax error or a "
            "non-boolean result is a 400 on `expression`. Evaluated on every payment before the "
            "institution is asked, in the order request_otp, allow, block, review."
        ),
        operation_id="risk_rules_create",
        request=s.RuleCreateInput,
        responses={201: s.RuleOutput},
    )
    def post(self, request: Request) -> Response:
        data = validated(s.RuleCreateInput, request.data)
        rule = services.rule_create(**request_scope(request), **data)
        return Response(rule.api_data(), status=status.HTTP_201_CREATED)


class RuleDetailView(MerchantAPIView):
    @extend_schema(summary="Retrieve a risk rule", responses=s.RuleOutput)
    def get(self, request: Request, rule_id: str) -> Response:
        rule = selectors.rule_get(**request_scope(request), rule_id=rule_id)
        return Response(rule.api_data())

    @extend_schema(
        summary="Update a risk rule",
        description="Only the fields given change; a change is a new version (kept).",
        request=s.RuleUpdateInput,
        responses=s.RuleOutput,
    )
    def patch(self, request: Request, rule_id: str) -> Response:
        rule = selectors.rule_get(**request_scope(request), rule_id=rule_id)
        data = validated(s.RuleUpdateInput, request.data)
        return Response(services.rule_update(rule=rule, **data).api_data())


class RuleVersionsView(MerchantAPIView):
    @extend_schema(summary="List a risk rule's versions, newest first", responses=s.RuleOutput)
    def get(self, request: Request, rule_id: str) -> Response:
        rule = selectors.rule_get(**request_scope(request), rule_id=rule_id)
        versions = [v.api_data() for v in rule.versions.order_by("-version")]
        return Response({"object": "list", "data": versions})


class RuleBacktestView(MerchantAPIView):
    @extend_schema(
        summary="Backtest a risk rule",
        description=(
            "Replays the rule's current version over the payments screened in [since, until) "
            "(and the synthetic history in test mode): how many it would have matched, how "
            "many of those were later disputed or refunded as fraud, precision and recall, the "
            "fraud amount it would have stopped and the good volume it would have lost."
        ),
        request=s.BacktestInput,
        responses={200: OpenApiTypes.OBJECT},
    )
    def post(self, request: Request, rule_id: str) -> Response:
        rule = selectors.rule_get(**request_scope(request), rule_id=rule_id)
        data = validated(s.BacktestInput, request.data)
        return Response(backtest_run(rule=rule, **data))


class ListEntryListCreateView(MerchantListView):
    serializer_class = s.ListEntryOutput
    filterset_class = s.ListEntryFilter
    selector = staticmethod(selectors.list_entries)

    @extend_schema(summary="List block and allow list entries", operation_id="risk_lists_list")
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Add a block or allow list entry",
        operation_id="risk_lists_create",
        request=s.ListEntryInput,
        responses={201: s.ListEntryOutput},
    )
    def post(self, request: Request) -> Response:
        data = validated(s.ListEntryInput, request.data)
        entry = services.list_entry_add(**request_scope(request), **data)
        return Response(entry.api_data(), status=status.HTTP_201_CREATED)


class ListEntryDetailView(MerchantAPIView):
    @extend_schema(summary="Remove a list entry", request=None, responses={204: None})
    def delete(self, request: Request, entry_id: str) -> Response:
        validated(NoInput, request.data)
        services.list_entry_remove(**request_scope(request), entry_id=entry_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- disputes ----------------------------------------------------------------------------------


class DisputeListView(MerchantListView):
    serializer_class = s.DisputeOutput
    filterset_class = s.DisputeFilter
    selector = staticmethod(selectors.dispute_list)

    @extend_schema(summary="List disputes", operation_id="disputes_list")
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)


def _dispute(request: Request, dispute_id: str):
    return selectors.dispute_get(**request_scope(request), dispute_id=dispute_id)


class DisputeDetailView(MerchantAPIView):
    @extend_schema(summary="Retrieve a dispute", responses=s.DisputeOutput)
    def get(self, request: Request, dispute_id: str) -> Response:
        return Response(_dispute(request, dispute_id).api_data())


#: The largest multipart body read at all: ten files of 5 MB and the text fields.
MAX_UPLOAD_BODY = MAX_FILES * MAX_FILE_BYTES + 1024 * 1024


def _evidence_body(request: Request) -> tuple[dict, list[Upload]]:
    """The text fields and the uploaded files of a JSON or multipart request."""
    if not request.content_type.startswith("multipart/form-data"):
        return request.data, []
    if int(request.META.get("CONTENT_LENGTH") or 0) > MAX_UPLOAD_BODY:
        raise RequestTooLarge(f"The request body is larger than {MAX_UPLOAD_BODY} bytes.")
    files = request.FILES
    text = {key: value for key, value in request.data.items() if key not in files}
    # A file under any other name than ``files`` is named as a field the operation does not take.
    text |= {key: "" for key in files if key != "files"}
    uploads = [Upload(f.name or "", f.size or 0, f) for f in files.getlist("files")]
    return text, uploads


class DisputeEvidenceView(MerchantAPIView):
    parser_classes = [StrictJSONParser, MultiPartParser]

    @extend_schema(
        summary="Add evidence to a dispute",
        description=(
            "Text fields, each replacing its earlier value, as JSON or as form fields; and, as "
            "multipart/form-data, `files`: PDF, PNG or JPEG (the type is read from the content, "
            "not from the name or the part's type), at most 5 MB each and 10 per dispute. "
            "Allowed until submitted."
        ),
        request={
            "application/json": s.DisputeEvidenceInput,
            "multipart/form-data": s.DisputeEvidenceUpload,
        },
        responses=s.DisputeOutput,
    )
    def post(self, request: Request, dispute_id: str) -> Response:
        text, uploads = _evidence_body(request)
        data = validated(s.DisputeEvidenceInput, text)
        dispute = disputes.dispute_evidence_update(
            dispute=_dispute(request, dispute_id), evidence=data, files=uploads
        )
        return Response(dispute.api_data())


class AnyFileRenderer(BaseRenderer):
    """Lets a client that asks for the file's own type (or anything) have it."""

    media_type = "*/*"
    format = "file"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data if isinstance(data, bytes) else JSONRenderer().render(data)


class DisputeEvidenceFileView(MerchantAPIView):
    renderer_classes = [JSONRenderer, AnyFileRenderer]

    @extend_schema(
        summary="Download a dispute's evidence file",
        description="As an attachment, with the type read from its content when it was added.",
        responses={(200, "application/octet-stream"): OpenApiResponse(OpenApiTypes.BINARY)},
    )
    def get(self, request: Request, dispute_id: str, file_id: str) -> HttpResponse:
        found = selectors.dispute_file_get(dispute=_dispute(request, dispute_id), file_id=file_id)
        return evidence_file_response(found)


class DisputeSubmitView(MerchantAPIView):
    @extend_schema(
        summary="Submit a dispute's evidence to the issuer",
        description=(
            "In test mode the sandbox issuer decides at once: evidence containing "
            "`winning_evidence` wins, `losing_evidence` loses."
        ),
        request=None,
        responses=s.DisputeOutput,
    )
    def post(self, request: Request, dispute_id: str) -> Response:
        validated(NoInput, request.data)
        dispute = disputes.dispute_submit(dispute=_dispute(request, dispute_id))
        return Response(dispute.api_data())


class DisputeAcceptView(MerchantAPIView):
    @extend_schema(summary="Accept a dispute (it is lost)", request=None, responses=s.DisputeOutput)
    def post(self, request: Request, dispute_id: str) -> Response:
        validated(NoInput, request.data)
        dispute = disputes.dispute_accept(dispute=_dispute(request, dispute_id))
        return Response(dispute.api_data())
