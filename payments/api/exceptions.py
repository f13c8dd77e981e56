"""The API's one exception handler: every error becomes an RFC 9457 problem document.

``{"type", "title", "status", "detail", "code"}`` plus ``errors`` (a list of ``{field, code,
message}``) for invalid input, served as ``application/problem+json``. Domain errors keep their
``code`` and safe ``message``; anything unexpected is logged once and answered with a generic 500.
"""

from __future__ import annotations

import logging
from http import HTTPStatus

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.http import Http404
from rest_framework import exceptions as drf
from rest_framework.response import Response
from rest_framework.views import set_rollback

from payments.errors import BUSY_RETRY_AFTER, DomainError, ValidationFailed, database_busy

logger = logging.getLogger(__name__)

PROBLEM_CONTENT_TYPE = "application/problem+json"
# Field errors listed at most: a 2 MB body of bad list items would otherwise get a 25 MB answer.
MAX_ERRORS = 50

# DRF's own exceptions, by class, with the stable code we answer them with.
_DRF_CODES: list[tuple[type[drf.APIException], str]] = [
    (drf.ParseError, "malformed_request"),
    (drf.NotAuthenticated, "authentication_required"),
    (drf.AuthenticationFailed, "invalid_api_key"),
    (drf.PermissionDenied, "forbidden"),
    (drf.NotFound, "resource_missing"),
    (drf.MethodNotAllowed, "method_not_allowed"),
    (drf.NotAcceptable, "not_acceptable"),
    (drf.UnsupportedMediaType, "unsupported_media_type"),
    (drf.Throttled, "rate_limited"),
]


def problem_type(code: str) -> str:
    """Return the problem ``type`` URI for a code (a URN: stable, and never dereferenced)."""
    return f"urn:problem-type:merchant-payments:{code}"


def problem(*, status: int, code: str, detail: str, title: str | None = None, **extra) -> dict:
    """Return a problem document (a dict) for ``status`` and ``code``."""
    return {
        "type": problem_type(code),
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "code": code,
        **extra,
    }


def problem_response(body: dict, *, headers: dict | None = None) -> Response:
    return Response(body, status=body["status"], headers=headers, content_type=PROBLEM_CONTENT_TYPE)


def _flatten(detail, path: str = "") -> list[dict]:
    """Turn DRF's nested ``ValidationError.detail`` into ``[{field, code, message}]``."""
    if isinstance(detail, dict):
        out = []
        for key, value in detail.items():
            name = "" if key == "non_field_errors" else str(key)
            out += _flatten(value, f"{path}.{name}" if path and name else path or name)
        return out
    if isinstance(detail, list):
        out = []
        for index, value in enumerate(detail):
            # A list of messages belongs to ``path``; a list of objects is indexed.
            sub = f"{path}.{index}" if isinstance(value, dict | list) else path
            out += _flatten(value, sub)
        return out
    return [
        {
            "field": path or None,
            "code": getattr(detail, "code", None) or "invalid",
            "message": str(detail),
        }
    ]


def _domain_problem(exc: DomainError) -> dict:
    extra = {}
    if isinstance(exc, ValidationFailed):
        extra["errors"] = [
            {"field": e.field or None, "code": e.code, "message": e.message}
            for e in exc.errors[:MAX_ERRORS]
        ]
    elif getattr(exc, "field", None):
        extra["errors"] = [{"field": exc.field, "code": exc.code, "message": exc.message}]
    if getattr(exc, "attempts_remaining", None) is not None:
        extra["attempts_remaining"] = exc.attempts_remaining
    return problem(
        status=exc.http_status, code=exc.code, title=type(exc).title, detail=exc.message, **extra
    )


def exception_handler(exc: Exception, context: dict) -> Response:
    """Map any exception raised in an API view to a problem response (never ``None``)."""
    set_rollback()
    headers: dict[str, str] = {}
    if isinstance(exc, DomainError):
        body = _domain_problem(exc)
        if body["status"] == 401:
            headers["WWW-Authenticate"] = 'Bearer realm="api"'
        if getattr(exc, "retry_after", None):
            headers["Retry-After"] = str(exc.retry_after)
        return problem_response(body, headers=headers)
    if isinstance(exc, RequestDataTooBig):
        # Raised by Django while DRF reads the body: the client's doing, not a server error.
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return problem_response(
            problem(
                status=413,
                code="payload_too_large",
                detail=f"The request body is larger than {limit} bytes.",
            )
        )
    if isinstance(exc, Http404):
        exc = drf.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = drf.PermissionDenied()
    if isinstance(exc, drf.ValidationError):
        errors = _flatten(exc.detail)[:MAX_ERRORS]
        body = problem(
            status=400,
            code="validation_failed",
            title="Invalid request",
            detail=errors[0]["message"] if errors else "The request is not valid.",
            errors=errors,
        )
        return problem_response(body)
    if isinstance(exc, drf.APIException):
        return _drf_problem(exc, context)
    if database_busy(exc):
        logger.warning("database busy: %s", type(exc.__cause__ or exc).__name__)
        return problem_response(
            problem(
                status=503,
                code="temporarily_unavailable",
                detail="The service is busy and did nothing; send the request again shortly.",
            ),
            headers={"Retry-After": str(BUSY_RETRY_AFTER)},
        )
    view = context.get("view")
    logger.exception("unhandled error in %s", type(view).__name__ if view else "API view")
    return problem_response(
        problem(
            status=500,
            code="internal_error",
            detail="Something went wrong on our side; nothing more was done. Try again later.",
        )
    )


def _drf_problem(exc: drf.APIException, context: dict) -> Response:
    """A DRF exception (authentication, throttling, parsing ...) with its stable code."""
    headers: dict[str, str] = {}
    code = next((c for cls, c in _DRF_CODES if isinstance(exc, cls)), None)
    code = code or (exc.get_codes() if isinstance(exc.get_codes(), str) else "error")
    if isinstance(exc, drf.AuthenticationFailed | drf.NotAuthenticated):
        view = context.get("view")
        request = context.get("request")
        auth_header = view.get_authenticate_header(request) if view and request else None
        if auth_header:
            headers["WWW-Authenticate"] = auth_header
        exc.status_code = 401
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait) + 1)
    detail = exc.detail if isinstance(exc.detail, str) else str(exc.default_detail)
    return problem_response(
        problem(status=exc.status_code, code=code, detail=str(detail)), headers=headers
    )
