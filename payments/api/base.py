"""What every merchant API view builds on.

``MerchantAPIView``: API-key authentication (``request.auth`` is the ``ApiKey``, so
``request.auth.merchant`` and ``request.auth.livemode``), a permission requiring a key, a per-key
throttle, JSON in and out, ``Idempotency-Key`` on every mutating method (``post``, ``put``,
``patch``, ``delete``; set ``idempotent_methods = ()`` to opt out), and error responses
documented in the OpenAPI schema. Errors are rendered by
``payments.api.exceptions.exception_handler`` (settings ``EXCEPTION_HANDLER``).
"""

from __future__ import annotations

from django.http import Http404
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.utils import OpenApiParameter
from rest_framework.exceptions import ErrorDetail, NotAcceptable, NotFound, ValidationError
from rest_framework.generics import ListAPIView
from rest_framework.renderers import JSONRenderer
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from .auth import ApiKeyAuthentication, HasApiKey
from .exceptions import (
    MAX_ERRORS,
    PROBLEM_CONTENT_TYPE,
    exception_handler,
    problem,
    problem_response,
)
from .idempotency import HEADER as IDEMPOTENCY_HEADER
from .idempotency import idempotent
from .pagination import NewestFirstCursorPagination
from .parsers import StrictJSONParser
from .request_guards import request_guards_run
from .throttling import ApiKeyRateThrottle

__all__ = [
    "PROBLEM_CONTENT_TYPE",
    "ApiKeyAuthentication",
    "ApiKeyRateThrottle",
    "HasApiKey",
    "MerchantAPIView",
    "MerchantAutoSchema",
    "MerchantListView",
    "NewestFirstCursorPagination",
    "exception_handler",
    "idempotent",
    "problem",
    "problem_response",
    "request_scope",
    "validated",
]

PROBLEM_SCHEMA = {
    "type": "object",
    "description": "RFC 9457 problem details.",
    "required": ["type", "title", "status", "detail", "code"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string", "description": "Stable machine-readable error code."},
        "errors": {
            "type": "array",
            "description": "Field errors of invalid input (the first 50).",
            "maxItems": 50,
            "items": {
                "type": "object",
                "required": ["field", "code", "message"],
                "properties": {
                    "field": {"type": "string", "nullable": True, "example": "amount"},
                    "code": {"type": "string"},
                    "message": {"type": "string"},
                },
            },
        },
        "attempts_remaining": {"type": "integer"},
    },
}

_ERROR_DESCRIPTIONS = {
    "400": "Invalid input (field errors in `errors`) or malformed JSON.",
    "401": "Missing, invalid or revoked API key (or request signature, where required).",
    "404": "No such object for this API key's merchant and mode.",
    "405": "Method not allowed.",
    "406": "Only JSON responses can be produced.",
    "409": "Not allowed in the object's current state, or the Idempotency-Key is in use.",
    "413": "The request body is too large.",
    "415": "The body must be JSON.",
    "422": "The Idempotency-Key was used with a different request.",
    "429": "Too many requests for this API key.",
    "500": "Unexpected error.",
    "502": "The institution could not process the request; nothing was charged.",
}
_READ_ERRORS = ("400", "401", "404", "405", "406", "429", "500")
_WRITE_ERRORS = (*_READ_ERRORS, "409", "413", "415", "422", "502")


class MerchantAutoSchema(AutoSchema):
    """Document the Idempotency-Key header and the problem responses of every operation."""

    def get_override_parameters(self):
        params = list(super().get_override_parameters())
        if self.method in ("POST", "PUT", "PATCH", "DELETE"):
            params.append(
                OpenApiParameter(
                    IDEMPOTENCY_HEADER,
                    str,
                    OpenApiParameter.HEADER,
                    required=False,
                    description="Replays the first response for 24 hours (1-255 characters).",
                )
            )
        return params

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        ref = {"$ref": "#/components/schemas/Problem"}
        registry.register_on_missing(
            ResolvedComponent(
                name="Problem",
                type=ResolvedComponent.SCHEMA,
                object="Problem",
                schema=PROBLEM_SCHEMA,
            )
        )
        codes = (
            _WRITE_ERRORS if method.upper() in ("POST", "PUT", "PATCH", "DELETE") else _READ_ERRORS
        )
        for code in codes:
            operation["responses"].setdefault(
                code,
                {
                    "description": _ERROR_DESCRIPTIONS[code],
                    "content": {PROBLEM_CONTENT_TYPE: {"schema": ref}},
                },
            )
        return operation


class MerchantAPIView(APIView):
    """Base of every merchant API view; see the module docstring."""

    authentication_classes = [ApiKeyAuthentication]
    permission_classes = [HasApiKey]
    throttle_classes = [ApiKeyRateThrottle]
    parser_classes = [StrictJSONParser]
    renderer_classes = [JSONRenderer]
    schema = MerchantAutoSchema()
    idempotent_methods = ("post", "put", "patch", "delete")
    #: Money leaves or may leave by this view's mutating methods: the request guards check them
    #: first (``payments.api.request_guards``: signatures, when the merchant requires them).
    money_moving = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for name in cls.idempotent_methods:
            handler = getattr(cls, name, None)
            if handler is not None and not getattr(handler, "_idempotent", False):
                setattr(cls, name, idempotent(handler))

    def get_exception_handler(self):
        return exception_handler

    def perform_content_negotiation(self, request, force=False):
        try:
            return super().perform_content_negotiation(request, force)
        except Http404:
            # DRF's answer to ?format= naming no renderer: the resource exists, the format not.
            raise NotAcceptable("This format is not served; the API answers in JSON.") from None

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if any("\x00" in str(value) for value in kwargs.values()):
            raise NotFound()  # no id holds NUL, and the database would refuse to compare it
        if self.money_moving and request.method.lower() in self.idempotent_methods:
            request_guards_run(request=request)


def refuse_unknown_parameters(request, *, known: set[str]) -> None:
    """Raise a 400 naming each query parameter not in ``known`` (``?format=`` is always known)."""
    known = {*known, api_settings.URL_FORMAT_OVERRIDE}
    unknown = [name for name in request.query_params if name not in known][:MAX_ERRORS]
    if unknown:
        error = ErrorDetail("This operation takes no such query parameter.", "unknown_parameter")
        raise ValidationError({name: [error] for name in unknown})


class MerchantListView(MerchantAPIView, ListAPIView):
    """A ``GET`` list of the key's merchant and mode: filtered, cursor-paginated, newest first.

    Subclasses set ``serializer_class``, ``filterset_class`` and ``selector``, a function
    ``(*, merchant, livemode) -> QuerySet`` from ``payments.selectors`` (or their app's).
    """

    filter_backends = [DjangoFilterBackend]
    pagination_class = NewestFirstCursorPagination
    selector = None

    def list(self, request, *args, **kwargs):
        # A misspelt filter (staus=failed) would otherwise answer with the whole list.
        paginator = self.paginator
        refuse_unknown_parameters(
            request,
            known={
                *self.filterset_class.base_filters,
                paginator.cursor_query_param,
                paginator.page_size_query_param,
            },
        )
        return super().list(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no API key
            return self.filterset_class._meta.model.objects.none()
        key = self.request.auth
        return type(self).selector(merchant=key.merchant, livemode=key.livemode)


def request_scope(request) -> dict:
    """Return the merchant and mode of the request's API key, as services take them."""
    return {"merchant": request.auth.merchant, "livemode": request.auth.livemode}


def validated(serializer_class, data, **kwargs) -> dict:
    """Return ``data`` checked by ``serializer_class``; invalid input raises (a 400 problem)."""
    serializer = serializer_class(data=data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data
